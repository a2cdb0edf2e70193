// Test helpers: run the built pgstage binary (or any program) and capture its output; temporary
// directories that remove themselves.
#pragma once

#include <string>
#include <vector>

namespace pgstage::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when it could not run or was killed
  std::string out, err;
};

// Runs `argv` (argv[0] looked up in PATH) in `cwd` (empty: the current directory), with stdin
// from /dev/null. Kills it after `timeout_seconds`.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& cwd = "",
                          int timeout_seconds = 120);

// Runs the pgstage binary under test with `args`.
ProcessResult run_pgstage(const std::vector<std::string>& args, const std::string& cwd = "");

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
