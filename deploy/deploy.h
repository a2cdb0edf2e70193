// The deploy sequence: run_predeploy, then for each service in pgstage.toml order
//   start_new -> wait_healthy -> switch -> drain_old -> stop_old -> record
// (workers: start_new -> wait_healthy -> stop_old -> record), then the record hook.
// Every step has a timeout; a step that fails cleans up what the deploy created and leaves
// the old instance serving. Leftovers of an interrupted deploy (kill -9) are found by their
// labels and the state file and cleaned up first (the `recover` step).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "deploy/deploy_config.h"
#include "deploy/router.h"
#include "deploy/runtime.h"

namespace pgstage::deploy {

struct StepReport {
  std::string service;  // empty for run_predeploy and record
  std::string step;     // recover, run_predeploy, start_new, wait_healthy, switch, ...
  bool ok = true;
  Millis elapsed{0};
  std::string detail;
};

using Hook = std::function<bool(std::string& err)>;

struct DeployRequest {
  const DeployConfig* config = nullptr;
  std::string release;
  std::map<std::string, std::string> env;          // added to every instance (e.g. the database URL)
  Hook predeploy;                                  // before any service (migrations); may be empty
  Hook record;                                     // after every service swapped; may be empty
  std::function<void(const StepReport&)> on_step;  // progress; may be empty
};

// Runs the whole sequence. `router` may be null only when no service is proxied.
// Returns false and fills `err` (naming the service and step) when a step failed.
bool deploy(const DeployRequest& req, Runtime& runtime, Router* router, std::string& err);

// One health probe: GET http://host:port<health_path>; true only on a 2xx answer.
bool probe_health(const Instance& inst, const ServiceConfig& svc, std::string& why);

}  // namespace pgstage::deploy
