// Instances as the tasks of Docker Swarm services, through the Engine API on the manager's unix
// socket (the same client as DockerRuntime). One Swarm service per service and release with N
// replicas, labelled io.pgstage.managed/service/release; the app's port is published in host mode
// (published port 0: the engine picks one per task), and each task is reached at its node's
// address and the port in the task's Status.PortStatus, so HAProxy routes to the tasks directly
// (no ingress routing mesh, which needs IPVS). A task is stopped or removed with its whole service.
#pragma once

#include <map>
#include <set>

#include "deploy/docker_runtime.h"

namespace pgstage::deploy {

class SwarmRuntime : public DockerRuntime {
 public:
  explicit SwarmRuntime(std::string socket);
  std::string name() const override { return "swarm"; }
  bool start(const InstanceSpec& spec, Instance& out, std::string& err) override;
  // Creates the Swarm service and waits (until `timeout`) for `n` running tasks with their ports;
  // removes the service when they do not come up.
  bool start_many(const InstanceSpec& spec, int n, Millis timeout, std::vector<Instance>& out,
                  std::string& err) override;
  bool state(const Instance& inst, InstanceState& out, std::string& err) override;
  // Scales the task's Swarm service to 0 (its tasks get SIGTERM, SIGKILL after the service's stop
  // grace period), waits, bounded by `timeout` and a margin, for every task to end, then removes
  // the service.
  bool stop(const Instance& inst, Millis timeout, std::string& err) override;
  bool remove(const Instance& inst, std::string& err) override;
  std::string logs(const Instance& inst, int lines) override;
  bool list(const std::string& service, std::vector<Instance>& out, std::string& err) override;
  // When a node goes down (no heartbeat for about 15 s) Swarm gives its tasks' slots new tasks
  // on the nodes left.
  bool reschedules() const override { return true; }
  bool running_in_group(const std::string& group, std::vector<Instance>& out, std::string& err) override;

 private:
  bool get_json(const std::string& path, long& status, std::string& body, std::string& err);
  // `running` (optional): for each task, whether it runs (else it is on its way).
  bool tasks_of(const std::string& service_id, std::vector<Instance>& out, std::string& last_error, std::string& err,
                std::vector<bool>* running = nullptr);
  bool node_addr(const std::string& node_id, std::string& out, std::string& err);
  // The nodes the manager has marked down (no heartbeat) or disconnected: their tasks cannot be
  // stopped until they return.
  bool unreachable_nodes(std::set<std::string>& out, std::string& err);
  // Whether any task of `service_id` may still run (desired or observed) on a reachable node;
  // `listed`: whether the engine lists any task of it at all, on a reachable node.
  bool tasks_left(const std::string& service_id, bool& running, bool& listed, std::string& err);
  std::map<std::string, std::string> node_addrs_;
};

}  // namespace pgstage::deploy
