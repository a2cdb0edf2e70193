#include "tests/support/haproxy_proc.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "deploy/http.h"
#include "proc/port.h"
#include "proc/process.h"

namespace pgstage::test {

HaproxyProc::HaproxyProc(int replicas) {
  std::string bin;
  for (const char* b : {"/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"})
    if (access(b, X_OK) == 0) bin = b;
  if (bin.empty()) {
    error_ = "haproxy not found (apt-get install haproxy)";
    return;
  }
  if (dir_.path().empty()) {
    error_ = "cannot create a temporary directory";
    return;
  }
  socket_ = dir_.path() + "/admin.sock";
  std::string err;
  if (!proc::free_port("127.0.0.1", port_, err)) {
    error_ = err;
    return;
  }
  std::string cfg = dir_.path() + "/haproxy.cfg";
  std::ofstream f(cfg);
  f << "global\n"
       "  stats socket "
    << socket_
    << " mode 600 level admin\n"
       "  stats timeout 30s\n"
       "defaults\n"
       "  mode http\n"
       "  timeout connect 2s\n"
       "  timeout client 60s\n"
       "  timeout server 60s\n"
       "frontend web\n"
       "  bind 127.0.0.1:"
    << port_
    << "\n"
       "  default_backend app\n"
       "backend app\n"
       "  balance roundrobin\n"
    << (replicas <= 1 ? std::string("  server blue 127.0.0.1:1 disabled\n"
                                    "  server green 127.0.0.1:1 disabled\n")
                      : "  server-template blue " + std::to_string(replicas) + " 127.0.0.1:1 disabled\n" +
                            "  server-template green " + std::to_string(replicas) + " 127.0.0.1:1 disabled\n");
  f.close();
  pid_ = proc::spawn(
      {.argv = {bin, "-db", "-f", cfg}, .output_file = dir_.path() + "/haproxy.log", .die_with_parent = true}, error_);
  if (pid_ < 0) return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream l(dir_.path() + "/haproxy.log");
      std::string text((std::istreambuf_iterator<char>(l)), std::istreambuf_iterator<char>());
      error_ = "haproxy exited at start: " + text;
      return;
    }
    deploy::HttpRequest req;
    req.url = url("/");
    deploy::HttpResponse resp;
    struct stat st;
    if (::stat(socket_.c_str(), &st) == 0 && deploy::http_request(req, resp, err)) {
      ok_ = true;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  error_ = "haproxy did not start within 10s (config " + cfg + ")";
}

HaproxyProc::~HaproxyProc() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string HaproxyProc::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

}  // namespace pgstage::test
