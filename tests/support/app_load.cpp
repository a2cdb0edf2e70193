#include "tests/support/app_load.h"

#include <curl/curl.h>

namespace pgstage::test {
namespace {

size_t collect(char* p, size_t s, size_t n, void* u) {
  static_cast<std::string*>(u)->append(p, s * n);
  return s * n;
}

}  // namespace

void AppLoad::start(int threads) {
  stop_ = false;
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { client(i); });
}

LoadReport AppLoad::stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> l(mu_);
  return report_;
}

void AppLoad::error(const std::string& what, bool conn) {
  std::lock_guard<std::mutex> l(mu_);
  (conn ? report_.conn_errors : report_.non_2xx)++;
  if (report_.first_errors.size() < 5) report_.first_errors.push_back(what);
}

void AppLoad::client(int id) {
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  long n = 0;
  // One request; true on 2xx. Failures are counted with what they were.
  auto request = [&](const std::string& method, const std::string& path, const std::string& body, std::string& resp) {
    resp.clear();
    curl_easy_setopt(c, CURLOPT_URL, (base_ + path).c_str());
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    if (method == "POST") {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    } else {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      error(method + " " + path + ": " + curl_easy_strerror(rc), true);
      return false;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
      error(method + " " + path + ": HTTP " + std::to_string(status) + " " + resp.substr(0, 200), false);
      return false;
    }
    ++ok_count_;
    std::lock_guard<std::mutex> l(mu_);
    report_.ok++;
    return true;
  };
  while (!stop_) {
    std::this_thread::sleep_for(kPacing);  // also after a failed request
    std::string name = "user-" + std::to_string(id) + "-" + std::to_string(n++);
    std::string resp;
    if (!request("POST", "/users", name, resp)) continue;
    long uid = std::atol(resp.c_str());
    {
      std::lock_guard<std::mutex> l(mu_);
      report_.acked[uid] = name;
    }
    if (request("GET", "/users/" + std::to_string(uid), "", resp) && resp != name + "\n")
      error("GET /users/" + std::to_string(uid) + ": read back \"" + resp + "\", wrote \"" + name + "\"", false);
  }
  curl_easy_cleanup(c);
}

}  // namespace pgstage::test
