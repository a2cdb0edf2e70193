// The container part of `pgstage apply` (and `pgstage deploy`): with [deploy]/[services] of
// pgstage.toml (loaded by cli/config.h), take the apply lock, optionally generate load, run the
// deploy sequence and print each step with its timing. `apply` passes its migrations as the pre-deploy hook.
#pragma once

#include <iosfwd>
#include <string>

#include "deploy/deploy.h"
#include "deploy/deploy_config.h"

namespace pgstage::cli {

struct DeployRun {
  std::string config_path;      // the pgstage.toml read (for messages)
  deploy::DeployConfig config;  // its [deploy] and [services.NAME]
  std::string release;
  std::string database_url;     // empty: read the variable named by [deploy] database_url_env
  std::string verify_load_url;  // empty: no load
  int verify_load_threads = 4;
  bool from_state = false;  // rollback: image/command of `release` from the deploy state
  // The pre-deploy hook gets the database URL read from [deploy] database_url_env (may be empty).
  std::function<bool(const std::string& database_url, std::string& err)> predeploy;
  std::function<bool(const std::string& database_url, std::string& err)> record;
};

// `deploy` and `rollback` (which run no migration): with a database URL, refuse a release that
// was deployed before when a contract that ran since removed something it may use
// (executor::check_rollback), and record the release as deployed (serving) in the pgstage state
// once every service is swapped, so contracts wait while it serves. `what` names the command.
void guard_release(DeployRun& run, const std::string& what);

// Returns an exit code: 0 deployed; 1 failed and undone (every service serves the release it ran
// before) or refused (another apply runs); 2 configuration error; 3 deployed and recorded, but
// --verify-load saw failed requests (decided before the release was recorded).
int run_deploy(const DeployRun& run, std::ostream& out, std::ostream& err);

}  // namespace pgstage::cli
