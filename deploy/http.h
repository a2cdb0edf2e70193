// One HTTP request with libcurl, over TCP or a unix socket (the Docker/Podman API).
#pragma once

#include <string>
#include <vector>

#include "deploy/deploy_defaults.h"

namespace pgstage::deploy {

struct HttpRequest {
  std::string method = "GET";
  std::string url;          // with a unix socket: http://localhost/path
  std::string unix_socket;  // empty: TCP
  std::string body;         // sent as application/json when not empty
  Millis timeout = 5s;      // whole request
  Millis connect_timeout = 2s;
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

// Returns false and fills `err` when no HTTP response came back (refused, timeout, reset).
// Any HTTP status is a response.
bool http_request(const HttpRequest& req, HttpResponse& resp, std::string& err);

// Percent-encodes a query string value.
std::string url_encode(const std::string& s);

}  // namespace pgstage::deploy
