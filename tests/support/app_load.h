// Continuous load on the sample app through HAProxy: each client thread keeps one connection
// alive (libcurl) and loops POST /users (a write) then GET /users/ID (reads it back). Every
// acknowledged write is remembered so the test can check it survived the deploys.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pgstage::test {

struct LoadReport {
  long ok = 0;
  long non_2xx = 0;
  long conn_errors = 0;
  std::vector<std::string> first_errors;  // up to 5 descriptions
  std::map<long, std::string> acked;      // user id -> name the app acknowledged
};

class AppLoad {
 public:
  explicit AppLoad(std::string base_url) : base_(std::move(base_url)) {}
  ~AppLoad() { stop(); }
  void start(int threads);
  LoadReport stop();
  long ok_so_far() const { return ok_count_; }

 private:
  void client(int id);
  void error(const std::string& what, bool conn);
  std::string base_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<long> ok_count_{0};
  std::mutex mu_;
  LoadReport report_;
};

}  // namespace pgstage::test
