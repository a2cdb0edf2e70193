// Continuous load on the sample app through HAProxy: each client thread keeps one connection
// alive (libcurl) and loops POST /users (a write) then GET /users/ID (reads it back), pausing
// kPacing before each pair. Every acknowledged write is remembered so the test can check it
// survived the deploys.
#pragma once

#include <atomic>
#include <chrono>
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

// The pause before each write + read of a client thread. Unpaced, four threads saturated both cores
// of a CI machine for the whole scenario (client, HAProxy, app and Postgres), starving the
// container starts and health probes the scenario measures and the suites that run beside it. With
// it each thread still has a request in flight about 40% of the time, so four threads leave an
// instant with none about 1 time in 8: a dropped-request window of a swap is still hit many times.
inline constexpr std::chrono::milliseconds kPacing{2};

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
