#include "deploy/http.h"

#include <curl/curl.h>

#include <mutex>

namespace pgstage::deploy {
namespace {

size_t on_data(char* p, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

bool http_request(const HttpRequest& req, HttpResponse& resp, std::string& err) {
  global_init();
  CURL* c = curl_easy_init();
  if (!c) {
    err = "cannot initialise libcurl";
    return false;
  }
  resp = HttpResponse{};
  curl_slist* headers = nullptr;
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  if (!req.unix_socket.empty()) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, req.unix_socket.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  if (req.method == "POST" || req.method == "PUT" || !req.body.empty()) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
  }
  CURLcode rc = curl_easy_perform(c);
  bool ok = rc == CURLE_OK;
  if (ok)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  else
    err = std::string(curl_easy_strerror(rc));
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return ok;
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
      out += static_cast<char>(ch);
    else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

}  // namespace pgstage::deploy
