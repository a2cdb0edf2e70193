// A complete deploy environment for the deploy scenarios: a fresh database with the sample
// app's v1 schema, a private HAProxy, a temporary directory with a pgstage.toml for the given
// runtime ("process" or "docker") describing a `web` service (proxied) and a `worker`.
// The scenarios (deploy_scenarios.h) run unchanged on both runtimes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "deploy/deploy_config.h"
#include "deploy/runtime.h"
#include "tests/support/haproxy_proc.h"
#include "tests/support/cli_run.h"
#include "tests/support/tcp_forward.h"

namespace pgstage::test {

struct FixtureOptions {
  std::string runtime = "process";
  std::string drain_timeout = "2s";
  // Empty: the runtime's deadline for deploys that must succeed, which only a failure waits out:
  // process 10s, docker 60s (three container starts took 11 s on a loaded CI machine), swarm 90s.
  std::string deploy_timeout;
  bool worker = true;
  bool create_schema = true;  // false: the test's migrations create it (pgstage apply)
  int replicas = 1;           // per service; HAProxy gets server templates of this size
  // Worker env: after SIGTERM each worker takes this long to exit (APP_STOP_DELAY_MS) and writes
  // the moment the signal came to this file (APP_STOP_LOG). Empty/0: not set.
  int worker_stop_delay_ms = 0;
  std::string worker_stop_log;
  // runtime "swarm": task containers sit on Docker's bridge; the database is reached through a
  // forwarder on this address (the bridge's gateway) to the test Postgres on 127.0.0.1.
  std::string db_forward_host;
};

// The docker image the e2e tests deploy (built by samples/app/build-image.sh).
inline constexpr const char* kE2eImage = "pgstage-sample-app:e2e";

// The name docker and swarm fixtures deploy kE2eImage by: kE2eImage itself, or while a
// DeployImageAs lives, its name (the two-node swarm: the registry's name, which every node pulls).
const std::string& deployed_image();
class DeployImageAs {
 public:
  explicit DeployImageAs(std::string name);
  ~DeployImageAs();
  DeployImageAs(const DeployImageAs&) = delete;
  DeployImageAs& operator=(const DeployImageAs&) = delete;

 private:
  std::string before_;
};

class DeployFixture {
 public:
  explicit DeployFixture(FixtureOptions opt = {});
  ~DeployFixture();  // removes every instance of its services

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::string db_url;
  HaproxyProc haproxy;
  std::string dir;  // holds pgstage.toml and the state directory (dir_)
  std::string config_path;
  std::string web, worker;  // service names (unique per fixture)
  deploy::DeployConfig config;
  // Added to the environment of every pgstage this fixture runs (e.g. PGSTAGE_FAULT).
  std::map<std::string, std::string> env;

  // `pgstage deploy --release R --config ...` with DATABASE_URL set; extra args appended.
  // Output (stdout and stderr together) in `out`.
  proc::Result deploy(const std::string& release, const std::vector<std::string>& extra = {});
  // `pgstage apply DIR --release R --config ...` with DATABASE_URL set.
  proc::Result apply(const std::string& migrations_dir, const std::string& release,
                     const std::vector<std::string>& extra = {});
  Started start_deploy(const std::string& release, const std::vector<std::string>& extra = {});
  // `pgstage rollback [--to R] --config ...` with DATABASE_URL set.
  proc::Result rollback(const std::vector<std::string>& extra = {});
  std::vector<deploy::Instance> instances(const std::string& service);
  void sql(const std::string& statements);
  std::string query1(const std::string& query);  // first column of the first row, "" if none
  // GET through HAProxy; returns the body, or "" and fills `status` (0 on a connection error).
  std::string get(const std::string& path, long* status = nullptr);

 private:
  std::map<std::string, std::string> run_env() const;
  TempDir dir_;
  std::unique_ptr<TcpForward> db_forward_;
  std::unique_ptr<deploy::Runtime> runtime_;
  std::string error_;
};

// The expand (with backfill) and contract SQL of the users.name -> full_name rename.
extern const char* const kExpandRenameSql;
extern const char* const kContractRenameSql;

}  // namespace pgstage::test
