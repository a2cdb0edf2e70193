// The deploy on a two-node Docker Swarm built on this machine by scripts/swarm-cluster.sh (node 2
// is a second dockerd in a network namespace): 3 replicas spread over both nodes, HAProxy on the
// host pointed at each task's node address and host-mode port. Fails, naming the reason, when the
// cluster cannot be built; tears it down afterwards.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "proc/process.h"
#include "tests/support/deploy_fixture.h"
#include "tests/support/deploy_scenarios.h"
#include "tests/support/swarm_node.h"

namespace e2e_deploy_swarm_cluster_test {

using namespace pgstage::test;

namespace {

pgstage::proc::Result cluster(const std::vector<std::string>& args) {
  pgstage::proc::Command c;
  c.argv = {"bash", std::string(PGSTAGE_SOURCE_DIR) + "/scripts/swarm-cluster.sh"};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.merge_stderr = true;
  c.timeout = std::chrono::seconds(240);
  return pgstage::proc::run(c);
}

// Node 2's state as the manager sees it: ready, down, unknown ("" when it cannot tell).
std::string node2_state() {
  auto r = pgstage::proc::run(
      {.argv = {"docker", "node", "inspect", "pgstage-node2", "--format", "{{.Status.State}}"}, .merge_stderr = true});
  if (r.exit_code != 0) return "";
  std::string s = r.out;
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

struct TwoNodeSwarm {
  pgstage::proc::Result up;
  bool was_active = false;
  TwoNodeSwarm() {
    // A single-node swarm advertised on 127.0.0.1 is what the single-node tests build: one left
    // behind (a leave that timed out) is cleared rather than failing this test. Any other
    // active swarm is someone's and stays untouched.
    if (swarm_state() == "active 127.0.0.1") leave_single_node_swarm();
    was_active = swarm_state().rfind("active", 0) == 0;
    if (!was_active) up = cluster({"up", kE2eImage});
  }
  ~TwoNodeSwarm() {
    if (!was_active) cluster({"down"});
  }
};

void require_image() {
  auto image = pgstage::proc::run({.argv = {"docker", "image", "inspect", kE2eImage}, .merge_stderr = true});
  REQUIRE_MESSAGE(image.exit_code == 0, "image " << kE2eImage << " is missing: build it with "
                                                 << "samples/app/build-image.sh build/samples/pgstage-sample-app "
                                                 << kE2eImage);
}

// The name scripts/swarm-cluster.sh pushes kE2eImage to its registry under: tasks on either node
// pull it from there, and Swarm pins its digest.
const std::string kRegistryImage = std::string("10.213.0.1:5000/") + kE2eImage;

void require_up(const TwoNodeSwarm& swarm) {
  REQUIRE_MESSAGE(!swarm.was_active, "a swarm is already active on this dockerd ("
                                         << swarm_state()
                                         << "); the test builds its own: leave it (docker swarm leave --force)");
  REQUIRE_MESSAGE(swarm.up.exit_code == 0, "scripts/swarm-cluster.sh up failed:\n" << swarm.up.out);
  REQUIRE_MESSAGE(swarm.up.out.find("pgstage-node2") != std::string::npos, swarm.up.out);
  // The registry is what the cluster is for: a copy to node 2 (the script's fallback) is not it.
  REQUIRE_MESSAGE(swarm.up.out.find("pushed " + std::string(kE2eImage) + " to the registry") != std::string::npos,
                  "scripts/swarm-cluster.sh up did not push the image to its registry (the host's dockerd must run "
                  "with --insecure-registry 10.213.0.1:5000, as scripts/services.sh starts it):\n"
                      << swarm.up.out);
}

}  // namespace

TEST_SUITE("deploy (swarm runtime, two nodes)") {
  // One cluster for the three scenarios (building and removing it takes about 15 s).
  TEST_CASE("two-node swarm, 3 replicas over both nodes: v1 -> v2 (a staged rename) -> v3 (its contract) with "
            "pgstage apply under load, then kill -9 mid-swap and recovery; zero failed requests") {
    require_image();
    TwoNodeSwarm swarm;
    require_up(swarm);
    DeployImageAs registry_name(kRegistryImage);
    // Task containers on either node reach the host's Postgres through the host's veth address.
    // Run one after another in this cluster (a SUBCASE would build it again for each).
    MESSAGE("v1 -> v2 -> v3, web and worker, 3 replicas each");
    scenario_replicas_under_load("swarm", 3, "10.213.0.1");
    MESSAGE("pgstage apply: v1 creates the schema, v2 runs the rename's expand and backfill, v3 its contract");
    scenario_apply_flow_under_load("swarm", 3, "10.213.0.1");
    MESSAGE("kill -9 before switch, in drain_old, before stop_old; each next deploy recovers");
    scenario_kill_at_every_step("swarm", {"deploy-before-switch:1", "deploy-in-drain_old:1", "deploy-before-stop_old:1"},
                                /*worker=*/false, /*replicas=*/3, "10.213.0.1", /*recover_each=*/false);
  }

  TEST_CASE("two-node swarm, 3 replicas: node 2's dockerd killed during deploys under load; each deploy follows "
            "Swarm's rescheduling and succeeds, zero failed requests") {
    require_image();
    TwoNodeSwarm swarm;
    require_up(swarm);
    DeployImageAs registry_name(kRegistryImage);
    SwarmNodeFaults node2{
        .addr = "10.213.0.2",
        .crash = [] { REQUIRE_MESSAGE(cluster({"crash"}).exit_code == 0, "swarm-cluster.sh crash failed"); },
        .restart =
            [] {
              auto up = cluster({"up"});
              REQUIRE_MESSAGE(up.exit_code == 0, "node 2 did not come back (swarm-cluster.sh up):\n" << up.out);
              auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
              while (node2_state() != "ready" && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
              REQUIRE_MESSAGE(node2_state() == "ready", "node 2 restarted but the manager says " << node2_state());
            },
        .marked_down = [] { return node2_state() == "down"; }};
    scenario_swarm_node_lost("10.213.0.1", node2);
  }
}

}  // namespace e2e_deploy_swarm_cluster_test
