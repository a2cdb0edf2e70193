#include "cli/git.h"

#include "analyzer/history.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace fs = std::filesystem;

namespace pgstage::cli {

namespace {

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string canonical_path(const fs::path& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p.string() : c.string();
}

// Splits NUL-separated output (git -z).
std::vector<std::string> split_nul(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find('\0', b);
    if (e == std::string::npos) e = s.size();
    if (e > b) out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

}  // namespace

bool run_program(const std::vector<std::string>& argv, std::string& out, std::string& err, int timeout_seconds) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    err = "cannot create a pipe for `" + joined(argv) + "`";
    return false;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    err = "cannot create a pipe for `" + joined(argv) + "`";
    return false;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    err = "cannot run `" + argv[0] + "`: " + strerror(rc);
    return false;
  }
  std::string errtext;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool timed_out = false;
  char buf[65536];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int n = poll(fds, 2, int(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        (i == 0 ? out : errtext).append(buf, size_t(r));
      } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    err = "`" + joined(argv) + "` did not finish within " + std::to_string(timeout_seconds) + "s";
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!errtext.empty() && (errtext.back() == '\n' || errtext.back() == '\r')) errtext.pop_back();
    err = "`" + joined(argv) + "` failed" + (errtext.empty() ? std::string() : ": " + errtext);
    return false;
  }
  return true;
}

bool changed_since(const std::string& ref, const std::string& dir, std::set<std::string>& out, std::string& err) {
  std::string top;
  if (!run_program({"git", "-C", dir, "rev-parse", "--show-toplevel"}, top, err)) return false;
  while (!top.empty() && (top.back() == '\n' || top.back() == '\r')) top.pop_back();
  std::vector<std::vector<std::string>> queries = {
      {"git", "-C", top, "diff", "--name-only", "-z", "--no-renames", ref + "...HEAD", "--"},  // committed since ref
      {"git", "-C", top, "diff", "--name-only", "-z", "--no-renames", "HEAD", "--"},           // staged and unstaged
      {"git", "-C", top, "ls-files", "--others", "--exclude-standard", "-z"},                  // untracked
  };
  for (auto& q : queries) {
    std::string text;
    if (!run_program(q, text, err)) return false;
    for (auto& name : split_nul(text)) {
      fs::path p = fs::path(top) / name;
      std::error_code ec;
      if (fs::exists(p, ec)) out.insert(canonical_path(p));
    }
  }
  return true;
}

bool since_inputs(const std::string& ref, const std::vector<std::string>& paths, LintOptions& opts,
                  std::vector<LintInput>& out, std::string& err) {
  opts.one_change_set = true;
  opts.no_history = true;
  std::set<std::string> queued;
  for (auto& path : paths) {
    if (path == "-") {
      err = "cannot be combined with stdin input";
      return false;
    }
    std::error_code ec;
    bool is_dir = fs::is_directory(path, ec);
    if (!is_dir && !fs::exists(path, ec)) {
      err = path + ": no such file or directory";
      return false;
    }
    fs::path dir = is_dir ? fs::path(path) : fs::path(migration_directory(path));
    std::string only = is_dir ? std::string() : canonical_path(path);
    std::set<std::string> changed;
    if (!changed_since(ref, dir.string(), changed, err)) return false;
    std::vector<MigrationEntry> entries;
    if (!list_migrations(dir.string(), opts.layout, opts.exclude, entries, err)) return false;
    std::vector<bool> review(entries.size(), false);
    size_t last = entries.size();
    for (size_t i = 0; i < entries.size(); ++i) {
      std::string c = canonical_path(entries[i].path);
      review[i] = changed.count(c) && (only.empty() || c == only);
      if (review[i]) last = i;
    }
    if (last == entries.size()) continue;  // nothing changed here
    for (size_t i = 0; i <= last; ++i) {
      std::string c = canonical_path(entries[i].path);
      if (queued.count(c)) continue;
      queued.insert(c);
      LintInput in;
      in.path = entries[i].path;
      in.history = !review[i];
      in.layout = entries[i].layout;
      out.push_back(std::move(in));
    }
  }
  return true;
}

}  // namespace pgstage::cli
