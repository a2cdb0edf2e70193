#include "tests/support/swarm_node.h"

#include <chrono>
#include <thread>

#include "proc/process.h"

namespace pgstage::test {
namespace {

proc::Result docker(const std::vector<std::string>& args) {
  proc::Command c;
  c.argv = {"docker"};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.merge_stderr = true;
  c.timeout = std::chrono::seconds(90);
  return proc::run(c);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

SingleNodeSwarm::SingleNodeSwarm() {
  auto info = docker({"info", "--format", "{{.Swarm.LocalNodeState}}"});
  if (info.exit_code != 0) {
    error_ = "the swarm e2e tests need dockerd (start it: . scripts/services.sh; start_services): docker info: " +
             trim(info.out + info.error);
    return;
  }
  std::string state = trim(info.out);
  if (state != "active") {
    auto init = docker({"swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377"});
    if (init.exit_code != 0) {
      error_ = "cannot start a single-node swarm: docker swarm init --advertise-addr 127.0.0.1 failed: " +
               trim(init.out + init.error);
      return;
    }
    started_ = true;
  }
  // The tasks reach the host's forwarders through the bridge's gateway. Once seen empty (exit status
  // unknown) right after the two-node cluster had left, with the container suite beside it: read it
  // again for a while, and say what docker answered when it never comes.
  proc::Result gw;
  for (int attempt = 0; attempt < 20; ++attempt) {
    gw = docker({"network", "inspect", "bridge", "--format", "{{(index .IPAM.Config 0).Gateway}}"});
    gateway_ = trim(gw.out);
    if (gw.exit_code == 0 && !gateway_.empty()) return;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  auto networks = docker({"network", "ls"});
  error_ = "cannot read the gateway of docker's bridge network: docker network inspect bridge: exit " +
           std::to_string(gw.exit_code) + (gw.timed_out ? " (timed out)" : "") + ", output: '" + trim(gw.out) +
           "'; docker network ls: " + trim(networks.out) + "; swarm: " + swarm_state();
}

SingleNodeSwarm::~SingleNodeSwarm() {
  if (started_) leave_single_node_swarm();
}

std::string swarm_state() {
  auto info = docker({"info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.NodeAddr}}"});
  return info.exit_code == 0 ? trim(info.out) : "";
}

bool leave_single_node_swarm() {
  // `swarm leave --force` can return before the node has left, or time out on a loaded machine:
  // retry until the engine says it is no longer in a swarm, so the next test starts clean.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (swarm_state().rfind("active", 0) != 0) break;
    docker({"swarm", "leave", "--force"});
    std::this_thread::sleep_for(std::chrono::seconds(attempt));
  }
  docker({"network", "rm", "docker_gwbridge"});  // `swarm leave` leaves it behind
  return swarm_state().rfind("active", 0) != 0;
}

}  // namespace pgstage::test
