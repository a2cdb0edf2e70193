// Where application instances run: Docker/Podman containers or local processes. Every instance
// carries its service and release (container labels / the process state directory), so pgstage
// finds its own instances after a crash and never touches anything it did not create.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "deploy/deploy_config.h"

namespace pgstage::deploy {

struct InstanceSpec {
  std::string service;
  std::string release;
  std::string image;    // docker
  std::string command;  // process
  std::string workdir;  // process: the command's working directory (empty: pgstage's)
  std::map<std::string, std::string> env;
  int container_port = 0;              // bridge network / swarm: the port the app listens on inside the container
  std::vector<std::string> placement;  // swarm: placement constraints ("node.role==worker")
  Millis stop_grace{0};                // swarm: SIGTERM -> SIGKILL when a task is stopped (0: engine default)
};

struct Instance {
  std::string id;  // container id, or the process runtime's instance id
  std::string service;
  std::string release;
  std::string host;  // where the router and health checks reach it
  int port = 0;
  long created = 0;   // unix time, for ordering
  std::string group;  // swarm: the Swarm service the task belongs to (removed as a whole); else empty
};

enum class InstanceState { Running, Exited, Missing };

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual std::string name() const = 0;
  // Creates and starts an instance. On failure nothing is left behind.
  virtual bool start(const InstanceSpec& spec, Instance& out, std::string& err) = 0;
  // Creates and starts `n` instances, ready to be health-checked before `timeout` passes. On
  // failure nothing is left behind. By default `start` n times.
  virtual bool start_many(const InstanceSpec& spec, int n, Millis timeout, std::vector<Instance>& out,
                          std::string& err);
  virtual bool state(const Instance& inst, InstanceState& out, std::string& err) = 0;
  // SIGTERM, then SIGKILL once `timeout` passes. Stopping a stopped instance succeeds.
  virtual bool stop(const Instance& inst, Millis timeout, std::string& err) = 0;
  // Removes a stopped (or killed) instance. Removing a missing instance succeeds.
  virtual bool remove(const Instance& inst, std::string& err) = 0;
  // The last `lines` lines of the instance's output (best effort; empty if unavailable).
  virtual std::string logs(const Instance& inst, int lines) = 0;
  // Instances pgstage created for `service` (all services if empty), oldest first.
  virtual bool list(const std::string& service, std::vector<Instance>& out, std::string& err) = 0;
  // A runtime that keeps a group's instance count itself (Swarm: a service's replicas) starts
  // another instance when one stops being run: its node went down, or it failed and was
  // restarted. Such a runtime answers true, and `running_in_group` gives the instances of `group`
  // that run now (with their ports), so a deploy follows the replacements instead of failing.
  virtual bool reschedules() const { return false; }
  virtual bool running_in_group(const std::string& group, std::vector<Instance>& out, std::string& err);
};

// Six random hex digits: what makes each container or service name pgstage creates unique.
std::string random_suffix();

// The runtime named by the config (docker, swarm or process).
std::unique_ptr<Runtime> make_runtime(const DeployConfig& cfg);

}  // namespace pgstage::deploy
