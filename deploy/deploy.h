// The deploy sequence: run_predeploy, then for each service in pgstage.toml order
//   start_new -> wait_healthy -> switch -> drain_old -> stop_old -> record
// (workers: start_new -> wait_healthy -> stop_old -> record), then the record hook.
// Every step has a timeout; a step that fails cleans up what the deploy created and leaves
// the old instance serving. When a later service fails, the services already swapped are swapped
// back to the release they ran (same health gate and drain), so a failed deploy leaves every
// service on its old release. Each step is journaled in the deploy state before it acts; after a
// kill -9 the next run's `recover` step first makes sure one healthy instance is `ready` in HAProxy
// (the last recorded one first), and only then drains and removes the rest. No slot is set to
// `maint` while it is the only one serving, and no drain is waited for while nothing else serves.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "deploy/deploy_config.h"
#include "deploy/deploy_state.h"
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
  std::map<std::string, std::string> env;  // added to every instance (e.g. the database URL)
  // Rollback: start each service from the image/command recorded for `release` in the deploy
  // state (a service with none recorded fails before anything starts) instead of the config's.
  bool from_state = false;
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
