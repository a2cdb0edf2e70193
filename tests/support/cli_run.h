// Test helpers: the built pgstage binary (or any program) as a child process, through the one
// process library (proc/process.h); temporary directories that remove themselves.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proc/process.h"

namespace pgstage::test {

struct RunOptions {
  std::string cwd;                         // empty: the current directory
  std::map<std::string, std::string> env;  // added to the environment
  std::optional<std::string> input;        // stdin text; none: /dev/null
  bool merge_stderr = false;               // stderr into `out`
  std::chrono::seconds timeout{300};       // killed (SIGKILL) after this: `timed_out`
};

// Runs `argv` (argv[0] looked up in PATH) to its end and captures its output.
proc::Result run_program(const std::vector<std::string>& argv, const RunOptions& o = {});

// Runs the pgstage binary under test with `args` (in `cwd`).
proc::Result run_pgstage(const std::vector<std::string>& args, const RunOptions& o = {});
inline proc::Result run_pgstage(const std::vector<std::string>& args, const std::string& cwd) {
  return run_pgstage(args, RunOptions{.cwd = cwd});
}

// pgstage running in the background (stdout and stderr together in a temporary file), for tests
// that act while it runs or kill it. finish() waits for it (bounded) and returns its output in `out`.
class Started {
 public:
  pid_t pid() const { return pid_; }
  proc::Result finish(std::chrono::seconds timeout = std::chrono::seconds(300));

 private:
  friend Started start_pgstage(const std::vector<std::string>&, const RunOptions&);
  pid_t pid_ = -1;
  std::string output_file_;
  std::string error_;
};
Started start_pgstage(const std::vector<std::string>& args, const RunOptions& o = {});

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `text` to path()/rel (creating parent directories); returns the full path.
  std::string write(const std::string& rel, const std::string& text) const;

 private:
  std::string path_;
};

}  // namespace pgstage::test
