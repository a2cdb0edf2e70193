// A private Postgres cluster for integration tests: initdb in a temporary directory (as the
// `postgres` user when running as root), a free port on 127.0.0.1, fsync off. Started once per
// test process on first use; stopped and removed at exit, and by a watchdog process if the test
// process dies (so a crash never leaks a cluster).
#pragma once

#include <string>

namespace pgstage::test {

class PgCluster {
 public:
  // The process-wide cluster, started on first call. Check ok() before use.
  static PgCluster& shared();

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }  // why it could not start
  int port() const { return port_; }
  const std::string& bin_dir() const { return bin_dir_; }

  // URL of the `postgres` database, e.g. postgresql://postgres@127.0.0.1:PORT/postgres
  std::string url(const std::string& db = "postgres") const;

  // Creates a fresh, empty database with a unique name and returns its URL.
  std::string fresh_database(const std::string& prefix = "t");

  void stop();
  ~PgCluster();

 private:
  PgCluster();
  bool ok_ = false;
  std::string error_;
  std::string dir_;
  std::string bin_dir_;
  int port_ = 0;
  int counter_ = 0;
  int watchdog_pipe_ = -1;
};

}  // namespace pgstage::test
