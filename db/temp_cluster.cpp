#include "db/temp_cluster.h"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>

#include "proc/port.h"
#include "proc/process.h"

namespace fs = std::filesystem;

namespace pgstage::db {

namespace {

// Runs a Postgres tool, as `postgres` when we are root (initdb refuses root), with its output in
// `output_file`. True when it exits with 0.
bool run_as_owner(std::vector<std::string> argv, const std::string& output_file = "/dev/null") {
  proc::Command cmd{.argv = std::move(argv), .output_file = output_file, .timeout = std::chrono::minutes(5)};
  if (geteuid() == 0) cmd.user = "postgres";
  return proc::run(cmd).ok();
}

}  // namespace

std::string find_postgres_bin_dir() {
  if (const char* e = std::getenv("PGSTAGE_PG_BIN")) return e;
  for (const char* d : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"})
    if (fs::exists(std::string(d) + "/initdb")) return d;
  return {};
}

bool TempCluster::start(std::string& err) {
  if (running_) return true;
  bin_dir_ = find_postgres_bin_dir();
  if (bin_dir_.empty()) {
    err =
        "Postgres server binaries not found (looked in /usr/lib/postgresql/*/bin; set PGSTAGE_PG_BIN). "
        "Install them with: apt-get install postgresql-15";
    return false;
  }
  char tmpl[] = "/tmp/pgstage-pg-XXXXXX";
  if (!mkdtemp(tmpl)) {
    err = "cannot create a temporary directory for the cluster";
    return false;
  }
  dir_ = tmpl;
  auto fail = [&](std::string msg) {
    err = std::move(msg);
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
    return false;
  };
  if (geteuid() == 0) {
    passwd* pw = getpwnam("postgres");
    if (!pw)
      return fail("running as root but there is no `postgres` user to own the cluster (apt-get install postgresql-15)");
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return fail("cannot chown " + dir_ + " to postgres");
  }
  std::string data = dir_ + "/data";
  std::string log = dir_ + "/log";
  if (!run_as_owner({bin_dir_ + "/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"}, log)) {
    std::string msg = "initdb failed (log: " + log + ")";
    err = msg;
    return false;  // keep the log for the user
  }
  for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
    std::string port_err;
    if (!proc::free_port("127.0.0.1", port_, port_err)) continue;
    std::string opts = "-p " + std::to_string(port_) + " -k " + dir_ +
                       " -c listen_addresses=127.0.0.1 -c fsync=off -c autovacuum=off -c synchronous_commit=off"
                       " -c full_page_writes=off -c max_connections=200 -c max_locks_per_transaction=256";
    for (auto& setting : settings_) opts += " -c " + setting;
    if (run_as_owner({bin_dir_ + "/pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o", opts, "start"}))
      running_ = true;
  }
  if (!running_) {
    err = "pg_ctl start failed (log: " + log + ")";
    return false;
  }
  // Watchdog: stops the cluster when this process exits, however it exits.
  int fds[2];
  if (pipe(fds) == 0) {
    pid_t pid = fork();
    if (pid == 0) {
      // Keep only the read end: an inherited write end of another cluster's watchdog pipe would
      // keep that watchdog (and its stop()) waiting for this one.
      for (int fd = 3; fd < 1024; ++fd)
        if (fd != fds[0]) close(fd);
      setsid();
      char b;
      while (read(fds[0], &b, 1) > 0) {
      }
      run_as_owner({bin_dir_ + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"});
      std::error_code ec;
      fs::remove_all(dir_, ec);
      _exit(0);
    }
    close(fds[0]);
    watchdog_pipe_ = fds[1];
    watchdog_pid_ = pid;
  }
  return true;
}

std::string TempCluster::url(const std::string& db) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

std::string TempCluster::fresh_database(const std::string& prefix) {
  std::string name = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter_);
  pqxx::connection c(url());
  pqxx::nontransaction tx(c);
  tx.exec("CREATE DATABASE " + tx.quote_name(name));
  return url(name);
}

void TempCluster::stop() {
  if (watchdog_pipe_ >= 0) {
    close(watchdog_pipe_);  // the watchdog stops the cluster and removes the directory
    watchdog_pipe_ = -1;
    int status;
    if (watchdog_pid_ > 0) waitpid(watchdog_pid_, &status, 0);
    watchdog_pid_ = -1;
  }
  running_ = false;
}

TempCluster::~TempCluster() { stop(); }

}  // namespace pgstage::db
