// A private HAProxy for deploy tests: a frontend on a free port of 127.0.0.1, a backend `app` with
// two server slots `blue` and `green` (both in maintenance at start, like samples/haproxy.cfg),
// and the runtime API on a unix socket in a temporary directory. Killed when the test process
// dies (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <string>

#include "tests/support/cli_run.h"

namespace pgstage::test {

class HaproxyProc {
 public:
  HaproxyProc();
  ~HaproxyProc();
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  const std::string& socket() const { return socket_; }
  std::string url(const std::string& path = "/") const;

 private:
  bool ok_ = false;
  TempDir dir_;
  std::string error_, socket_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace pgstage::test
