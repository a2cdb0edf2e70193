// The deploy on a single-node Docker Swarm: one Swarm service per service and release, 3 replicas,
// host-mode published ports, HAProxy pointed at each task. Each test starts the swarm itself
// (docker swarm init --advertise-addr 127.0.0.1) and leaves it afterwards; it fails, naming the
// reason, when dockerd is down, the swarm cannot start or the sample app image is missing.
#include <doctest/doctest.h>

#include "proc/process.h"
#include "tests/support/deploy_fixture.h"
#include "tests/support/deploy_scenarios.h"
#include "tests/support/swarm_node.h"

namespace e2e_deploy_swarm_test {

using namespace pgstage::test;

namespace {
void require_image() {
  auto image = pgstage::proc::run({.argv = {"docker", "image", "inspect", kE2eImage}, .merge_stderr = true});
  REQUIRE_MESSAGE(image.exit_code == 0, "image " << kE2eImage << " is missing: build it with "
                                                 << "samples/app/build-image.sh build/samples/pgstage-sample-app "
                                                 << kE2eImage << " (" << image.out << ")");
}
}  // namespace

TEST_SUITE("deploy (swarm runtime)") {
  TEST_CASE("single-node swarm, 3 replicas: v1 -> v2 -> v3 under load, zero failed requests") {
    SingleNodeSwarm swarm;
    REQUIRE_MESSAGE(swarm.ok(), swarm.error());
    require_image();
    scenario_replicas_under_load("swarm", 3, swarm.bridge_gateway());
  }
  TEST_CASE("single-node swarm, 3 replicas: a release that never turns healthy is refused; the old tasks serve") {
    SingleNodeSwarm swarm;
    REQUIRE_MESSAGE(swarm.ok(), swarm.error());
    require_image();
    scenario_swarm_unhealthy_release(swarm.bridge_gateway());
  }
  TEST_CASE("single-node swarm, 3 replicas: kill -9 mid-swap under load, then recovery: no failed request") {
    SingleNodeSwarm swarm;
    REQUIRE_MESSAGE(swarm.ok(), swarm.error());
    require_image();
    scenario_kill_at_every_step("swarm",
                                {"deploy-before-switch:1", "deploy-in-drain_old:1", "deploy-before-stop_old:1"},
                                /*worker=*/false, /*replicas=*/3, swarm.bridge_gateway());
  }
}

}  // namespace e2e_deploy_swarm_test
