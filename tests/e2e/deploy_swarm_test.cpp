// The deploy on a single-node Docker Swarm: one Swarm service per service and release, 3 replicas,
// host-mode published ports, HAProxy pointed at each task. The test starts the swarm itself
// (docker swarm init --advertise-addr 127.0.0.1) and leaves it afterwards; it fails, naming the
// reason, when dockerd is down, the swarm cannot start or the sample app image is missing.
#include <doctest/doctest.h>

#include "proc/process.h"
#include "tests/support/deploy_fixture.h"
#include "tests/support/deploy_scenarios.h"
#include "tests/support/swarm_node.h"

using namespace pgstage::test;

TEST_SUITE("deploy (swarm runtime)") {
  TEST_CASE("single-node swarm, 3 replicas: v1 -> v2 -> v3 under load, zero failed requests") {
    SingleNodeSwarm swarm;
    REQUIRE_MESSAGE(swarm.ok(), swarm.error());
    auto image = pgstage::proc::run({.argv = {"docker", "image", "inspect", kE2eImage}, .merge_stderr = true});
    REQUIRE_MESSAGE(image.exit_code == 0, "image " << kE2eImage << " is missing: build it with "
                                                   << "samples/app/build-image.sh " << kE2eImage << " (" << image.out
                                                   << ")");
    scenario_replicas_under_load("swarm", 3, swarm.bridge_gateway());
  }
}
