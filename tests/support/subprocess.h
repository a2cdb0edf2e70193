// Runs a program with extra environment variables and captures its stdout+stderr.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace pgstage::test {

struct Subprocess {
  pid_t pid = -1;
  int out_fd = -1;
  std::string output;
  int exit_code = -1;  // -1 until waited; 128+signal when killed

  // Starts argv[0] with `env` added to the environment.
  bool start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  // Reads all output and waits for the exit. Bounded: kills the process after `timeout_s`.
  int wait(int timeout_s = 300);
};

// start + wait.
Subprocess run_program(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                       int timeout_s = 300);

}  // namespace pgstage::test
