// A small libpqxx wrapper: connections and SQLSTATE-carrying errors (passwords: db/redact.h).
#pragma once

#include <memory>
#include <string>

namespace pqxx {
class connection_base;
}

namespace pgstage::db {

inline constexpr const char* kLockNotAvailable = "55P03";  // lock_timeout expired
inline constexpr const char* kQueryCanceled = "57014";     // statement_timeout expired

// The outcome of one database operation: ok, or an error message with its SQLSTATE.
struct DbResult {
  bool ok = true;
  std::string sqlstate;  // empty when the error did not come from the server
  std::string error;
  static DbResult success() { return {}; }
  static DbResult failure(std::string msg, std::string state = {}) { return {false, std::move(state), std::move(msg)}; }
};

// One connection. Owns a pqxx connection; never throws out of its methods.
class Connection {
 public:
  Connection();
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens the connection. The error names the redacted URL.
  DbResult open(const std::string& url);
  bool is_open() const;
  pqxx::connection_base& raw();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Converts the exception in flight (inside a catch block) into a DbResult.
DbResult current_exception_result(const std::string& context);

}  // namespace pgstage::db
