#include "tests/support/cli_run.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace pgstage::test {

namespace {

proc::Command command(std::vector<std::string> argv, const RunOptions& o) {
  return {.argv = std::move(argv),
          .env = o.env,
          .cwd = o.cwd,
          .input = o.input,
          .merge_stderr = o.merge_stderr,
          .timeout = o.timeout};
}

std::vector<std::string> pgstage_argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv{PGSTAGE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

proc::Result run_program(const std::vector<std::string>& argv, const RunOptions& o) {
  proc::Result r = proc::run(command(argv, o));
  if (!r.started) r.err = r.error;
  return r;
}

proc::Result run_pgstage(const std::vector<std::string>& args, const RunOptions& o) {
  return run_program(pgstage_argv(args), o);
}

Started start_pgstage(const std::vector<std::string>& args, const RunOptions& o) {
  static std::atomic<int> counter{0};
  Started s;
  s.output_file_ = (fs::temp_directory_path() /
                    ("pgstage-started-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + ".out"))
                       .string();
  proc::Command cmd = command(pgstage_argv(args), o);
  cmd.output_file = s.output_file_;
  s.pid_ = proc::spawn(cmd, s.error_);
  return s;
}

proc::Result Started::finish(std::chrono::seconds timeout) {
  proc::Result r;
  if (pid_ < 0) {
    r.err = error_;
    return r;
  }
  r = proc::wait(pid_, timeout);
  pid_ = -1;
  std::ifstream in(output_file_, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  r.out = ss.str();
  std::error_code ec;
  fs::remove(output_file_, ec);
  return r;
}

TempDir::TempDir() {
  std::string templ = (fs::temp_directory_path() / "pgstage-test-XXXXXX").string();
  if (mkdtemp(templ.data())) path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& rel, const std::string& text) const {
  fs::path p = fs::path(path_) / rel;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

}  // namespace pgstage::test
