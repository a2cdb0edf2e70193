// Starting a program: one way for the whole tree (git, the temporary Postgres cluster, the process
// runtime, the tests). An argv vector, never a shell string.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pgstage::proc {

using std::chrono::milliseconds;

inline constexpr milliseconds kDefaultTimeout{60'000};

struct Command {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH unless it holds a '/'
  std::map<std::string, std::string> env;  // added to (or replacing in) the inherited environment
  std::string cwd;                         // empty: the current directory
  std::optional<std::string> input;        // text on stdin; none: /dev/null
  std::string output_file;                 // non-empty: stdout and stderr go to this file (truncated)
  bool merge_stderr = false;               // run(): stderr captured into `out`
  std::string user;                        // run as this user (needs root); empty: as ourselves
  bool new_session = false;                // setsid: the child leads its own process group
  bool die_with_parent = false;            // SIGKILL when the process that started it dies
  milliseconds timeout = kDefaultTimeout;  // run(): killed with SIGKILL after this
};

struct Result {
  bool started = false;  // false: it could not start (`error` says why)
  int exit_code = -1;    // its exit status; -1 when killed by a signal or not started
  int signal = 0;        // the signal that ended it (SIGKILL after a timeout), else 0
  bool timed_out = false;
  std::string out, err;  // captured output
  std::string error;     // why it could not start
  bool ok() const { return exit_code == 0; }
};

// Runs `cmd` to its end or its timeout, capturing stdout and stderr (unless `output_file`).
Result run(const Command& cmd);

// Starts `cmd` and returns its pid once it has been exec'd, without waiting for it; stdout and
// stderr go to `output_file` (or /dev/null) and `input` is ignored. Returns -1 and fills `err`
// (naming the program) when it cannot start.
pid_t spawn(const Command& cmd, std::string& err);

// Waits for a child started by spawn(). After `timeout` it is killed with SIGKILL (its process
// group when `group`) and reaped.
Result wait(pid_t pid, milliseconds timeout, bool group = false);

// `run(cmd)`, returning false and filling `err` unless it exited with 0. The message names the
// command and carries its stderr (or why it did not start or finish).
bool run_checked(const Command& cmd, std::string& out, std::string& err);

// argv joined with spaces, for messages.
std::string display(const std::vector<std::string>& argv);

}  // namespace pgstage::proc
