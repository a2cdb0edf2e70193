// A throwaway Postgres cluster: initdb in a temporary directory (as the `postgres` user when
// running as root), a free port on 127.0.0.1, fsync off. Stopped and removed by stop(), by the
// destructor, and by a watchdog process if the owning process dies (a crash never leaks a cluster).
// Used by `pgstage trace --temp-cluster` and by the integration-test fixture.
#pragma once

#include <string>
#include <vector>

namespace pgstage::db {

class TempCluster {
 public:
  TempCluster() = default;
  TempCluster(const TempCluster&) = delete;
  TempCluster& operator=(const TempCluster&) = delete;
  ~TempCluster();

  // Creates and starts the cluster. Returns false and fills `err` (naming the step) on failure,
  // after removing whatever it created.
  bool start(std::string& err);
  // Server settings added to the defaults at start(), e.g. {"shared_preload_libraries=pg_stat_statements"}.
  void add_setting(const std::string& name_eq_value) { settings_.push_back(name_eq_value); }

  bool running() const { return running_; }
  int port() const { return port_; }

  // URL of database `db`, e.g. postgresql://postgres@127.0.0.1:PORT/postgres
  std::string url(const std::string& db = "postgres") const;

  // Creates an empty database named `prefix_PID_N` and returns its URL; throws pqxx errors.
  std::string fresh_database(const std::string& prefix = "t");

  // Stops the cluster and removes its directory (idempotent).
  void stop();

 private:
  bool running_ = false;
  std::string dir_;
  std::string bin_dir_;
  int port_ = 0;
  int counter_ = 0;
  int watchdog_pipe_ = -1;
  int watchdog_pid_ = -1;
  std::vector<std::string> settings_;
};

// The directory holding initdb/pg_ctl ($PGSTAGE_PG_BIN or /usr/lib/postgresql/*/bin), or "".
std::string find_postgres_bin_dir();

}  // namespace pgstage::db
