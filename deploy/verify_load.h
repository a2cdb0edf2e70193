// `--verify-load URL`: background GET traffic during a deploy, to show that nothing failed.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace pgstage::deploy {

struct LoadStats {
  long requests = 0;     // answered with 2xx
  long non_2xx = 0;      // answered with another status
  long conn_errors = 0;  // refused, reset, timed out
  std::string first_error;
};

class LoadGenerator {
 public:
  ~LoadGenerator() { stop(); }
  // Starts `threads` clients, each sending GET `url` back to back (1 s timeout each).
  void start(const std::string& url, int threads);
  LoadStats stop();

 private:
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::vector<LoadStats> per_thread_;
};

}  // namespace pgstage::deploy
