#include "db/pg.h"

#include "db/redact.h"

#include <pqxx/pqxx>

namespace pgstage::db {

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
    return DbResult::failure("cannot connect to " + redact_url(url) + ": " + redact_secrets(e.what(), url));
  }
}

bool Connection::is_open() const { return impl_->conn && impl_->conn->is_open(); }
pqxx::connection_base& Connection::raw() { return *impl_->conn; }

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

}  // namespace pgstage::db
