#include "deploy/verify_load.h"

#include "deploy/http.h"

namespace pgstage::deploy {

void LoadGenerator::start(const std::string& url, int threads) {
  stop_ = false;
  per_thread_.assign(static_cast<size_t>(threads), LoadStats{});
  for (int t = 0; t < threads; ++t) {
    threads_.emplace_back([this, url, t] {
      LoadStats& s = per_thread_[static_cast<size_t>(t)];
      HttpRequest req;
      req.url = url;
      req.timeout = std::chrono::seconds(5);
      while (!stop_) {
        HttpResponse resp;
        std::string err;
        if (!http_request(req, resp, err)) {
          ++s.conn_errors;
          if (s.first_error.empty()) s.first_error = err;
        } else if (resp.status < 200 || resp.status >= 300) {
          ++s.non_2xx;
          if (s.first_error.empty()) s.first_error = "HTTP " + std::to_string(resp.status);
        } else {
          ++s.requests;
        }
      }
    });
  }
}

LoadStats LoadGenerator::stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
  LoadStats total;
  for (const auto& s : per_thread_) {
    total.requests += s.requests;
    total.non_2xx += s.non_2xx;
    total.conn_errors += s.conn_errors;
    if (total.first_error.empty()) total.first_error = s.first_error;
  }
  per_thread_.clear();
  return total;
}

}  // namespace pgstage::deploy
