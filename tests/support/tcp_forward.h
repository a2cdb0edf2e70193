// A TCP forwarder for tests: listens on listen_host:<free port> and pipes every connection to
// target_host:target_port. The Swarm tests use it so task containers (on Docker's bridge) reach
// the test Postgres, which listens on 127.0.0.1 only. Stops (and closes every connection) when
// destroyed.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pgstage::test {

class TcpForward {
 public:
  TcpForward(const std::string& listen_host, const std::string& target_host, int target_port);
  ~TcpForward();
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  int port() const { return port_; }

 private:
  void accept_loop();
  void pipe(int client);
  std::string target_host_, error_;
  int target_port_ = 0, port_ = 0, listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> pipes_;
};

}  // namespace pgstage::test
