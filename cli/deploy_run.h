// The container part of `pgstage apply` (and `pgstage deploy`): load [deploy]/[services] from
// pgstage.toml, take the apply lock, optionally generate load, run the deploy sequence and print
// each step with its timing. `apply` passes its migrations as the pre-deploy hook.
#pragma once

#include <iosfwd>
#include <string>

#include "deploy/deploy.h"

namespace pgstage::cli {

struct DeployRun {
  std::string config_path;  // empty: find pgstage.toml walking up from the working directory
  std::string release;
  std::string database_url;     // empty: read the variable named by [deploy] database_url_env
  std::string verify_load_url;  // empty: no load
  int verify_load_threads = 4;
  // The pre-deploy hook gets the database URL read from [deploy] database_url_env (may be empty).
  std::function<bool(const std::string& database_url, std::string& err)> predeploy;
  std::function<bool(const std::string& database_url, std::string& err)> record;
};

// Returns an exit code: 0 deployed, 1 failed safely (old instances keep serving) or refused
// (another apply runs), 2 configuration error.
int run_deploy(const DeployRun& run, std::ostream& out, std::ostream& err);

// The config has at least one [services.NAME] (so `apply` swaps containers after migrating).
bool config_has_services(const std::string& path);
// The database URL from the environment variable [deploy] database_url_env names ("" if unset).
std::string config_database_url(const std::string& path);

// pgstage.toml: `explicit_path` if given, else the nearest one walking up from the working
// directory. Returns false and fills `err` when there is none.
bool find_config(const std::string& explicit_path, std::string& path, std::string& err);

}  // namespace pgstage::cli
