// A private Postgres cluster for integration tests (db/temp_cluster.h): started once per
// test process on first use; stopped and removed at exit, and by a watchdog process if the test
// process dies (so a crash never leaks a cluster).
#pragma once

#include <string>

#include "db/temp_cluster.h"

namespace pgstage::test {

class PgCluster {
 public:
  // The process-wide cluster, started on first call. Check ok() before use.
  static PgCluster& shared();

  bool ok() const { return cluster_.running(); }
  const std::string& error() const { return error_; }  // why it could not start
  int port() const { return cluster_.port(); }

  // URL of the `postgres` database, e.g. postgresql://postgres@127.0.0.1:PORT/postgres
  std::string url(const std::string& db = "postgres") const { return cluster_.url(db); }

  // Creates a fresh, empty database with a unique name and returns its URL.
  std::string fresh_database(const std::string& prefix = "t") { return cluster_.fresh_database(prefix); }

  void stop() { cluster_.stop(); }

  // The SQL that creates tablespace `name` (unique per test process: the directory is named after
  // it and the pid) in an empty directory made here and owned by the server's user, as a tablespace
  // needs. Run it outside a transaction block.
  std::string tablespace_sql(const std::string& name);

 private:
  PgCluster() { cluster_.start(error_); }
  db::TempCluster cluster_;
  std::string error_;
};

}  // namespace pgstage::test
