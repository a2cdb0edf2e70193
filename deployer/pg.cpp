#include "deployer/pg.h"

#include <pqxx/pqxx>

namespace pgstage::deployer {

namespace {

// The password in a URL: postgresql://user:PASSWORD@host or key=value "password=PASSWORD".
std::string password_of(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme != std::string::npos) {
    auto start = scheme + 3;
    auto at = url.find('@', start);
    auto slash = url.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      auto colon = url.find(':', start);
      if (colon != std::string::npos && colon < at) return url.substr(colon + 1, at - colon - 1);
    }
    auto q = url.find("password=");
    if (q != std::string::npos) {
      auto end = url.find('&', q);
      return url.substr(q + 9, end == std::string::npos ? std::string::npos : end - q - 9);
    }
    return {};
  }
  auto p = url.find("password=");
  if (p == std::string::npos) return {};
  auto start = p + 9;
  if (start < url.size() && url[start] == '\'') {
    auto end = url.find('\'', start + 1);
    return url.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
  }
  auto end = url.find(' ', start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

std::string redact(const std::string& text, const std::string& url) {
  std::string pw = password_of(url);
  if (pw.empty()) return text;
  std::string out = text;
  for (size_t pos = out.find(pw); pos != std::string::npos; pos = out.find(pw, pos + 3)) out.replace(pos, pw.size(), "***");
  return out;
}

std::string redact_url(const std::string& url) { return redact(url, url); }

struct Connection::Impl {
  std::unique_ptr<pqxx::connection> conn;
};

Connection::Connection() : impl_(std::make_unique<Impl>()) {}
Connection::~Connection() = default;

DbResult Connection::open(const std::string& url) {
  try {
    impl_->conn = std::make_unique<pqxx::connection>(url);
    return DbResult::success();
  } catch (const std::exception& e) {
    return DbResult::failure("cannot connect to " + redact_url(url) + ": " + redact(e.what(), url));
  }
}

bool Connection::is_open() const { return impl_->conn && impl_->conn->is_open(); }
pqxx::connection_base& Connection::raw() { return *impl_->conn; }
int Connection::backend_pid() { return impl_->conn->backendpid(); }

DbResult current_exception_result(const std::string& context) {
  try {
    throw;
  } catch (const pqxx::sql_error& e) {
    std::string msg = e.what();
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return DbResult::failure(context + ": " + msg, e.sqlstate());
  } catch (const std::exception& e) {
    return DbResult::failure(context + ": " + e.what());
  }
}

}  // namespace pgstage::deployer
