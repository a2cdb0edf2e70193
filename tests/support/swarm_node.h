// A single-node Docker Swarm for the swarm e2e tests: `docker swarm init --advertise-addr
// 127.0.0.1` on the host's dockerd, `docker swarm leave --force` when destroyed (only if this
// object initialised it: a swarm that was already active is used and left alone). Never skips:
// ok() is false, with the reason, when dockerd is down or the swarm cannot start.
#pragma once

#include <string>

namespace pgstage::test {

class SingleNodeSwarm {
 public:
  SingleNodeSwarm();
  ~SingleNodeSwarm();
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // The gateway address of Docker's default bridge (where task containers reach the host).
  const std::string& bridge_gateway() const { return gateway_; }

 private:
  bool started_ = false;
  std::string error_, gateway_;
};

// "<LocalNodeState> <NodeAddr>" of the host's dockerd ("active 127.0.0.1" for the swarm above),
// empty when dockerd does not answer.
std::string swarm_state();
// Leaves the swarm and waits until the engine says it has left; false if it is still in one.
bool leave_single_node_swarm();

}  // namespace pgstage::test
