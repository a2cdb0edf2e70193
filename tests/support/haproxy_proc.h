// A private HAProxy for deploy tests: a frontend on a free port of 127.0.0.1, a backend `app` with
// two server slots `blue` and `green` (both in maintenance at start, like samples/haproxy.cfg), or
// with replicas > 1 `server-template blue N` and `server-template green N` (blue1..blueN, ...),
// and the runtime API on a unix socket in a temporary directory. Killed when the test process
// dies (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <string>

#include "tests/support/cli_run.h"

namespace pgstage::test {

class HaproxyProc {
 public:
  explicit HaproxyProc(int replicas = 1);
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
