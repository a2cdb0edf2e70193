// The deploy scenarios on the docker runtime: containers of the sample app image through the
// Docker Engine API, a real HAProxy and Postgres.
#include <doctest/doctest.h>

#include "tests/support/deploy_scenarios.h"

namespace e2e_deploy_docker_test {

using namespace pgstage::test;

TEST_SUITE("deploy (docker runtime)") {
  TEST_CASE("v1 -> v2 -> v3 rename under load: no failed request, no lost write") {
    scenario_rename_under_load("docker");
  }
  TEST_CASE("pgstage apply v1 -> v2 -> v3 with the sample migrations, under load") {
    scenario_apply_flow_under_load("docker");
  }
  TEST_CASE("a release that never turns healthy is removed; the old one keeps serving") {
    scenario_unhealthy_release("docker");
  }
  TEST_CASE("a request in flight during the switch completes") { scenario_slow_request_completes("docker"); }
  TEST_CASE("a request longer than the drain timeout is cut at the drain timeout") {
    scenario_long_request_cut_at_drain_timeout("docker");
  }
  TEST_CASE("a second apply is refused while one runs") { scenario_second_apply_refused("docker"); }
  TEST_CASE("a deploy killed with SIGKILL is cleaned up by the next one") { scenario_crash_recovery("docker"); }
  TEST_CASE("contracts follow code, not release names; rollback and its refusals, under load") {
    scenario_contracts_follow_code_and_rollback("docker");
  }
  TEST_CASE("all services or none: a failing worker swaps web back; verify-load failures exit 3") {
    scenario_all_services_or_none("docker");
  }
  TEST_CASE("kill -9 at every step boundary under load: no failed request, one release afterwards") {
    // Chained: each kill is recovered by the deploy killed at the next point (one container deploy
    // per point instead of two), then one final deploy is checked.
    scenario_kill_at_every_step("docker", kKillPoints, /*worker=*/true, /*replicas=*/1, "", /*recover_each=*/false);
  }
}

TEST_SUITE("deploy (docker runtime, replicas = 3)") {
  TEST_CASE("v1 -> v2 -> v3 with 3 web and 3 worker containers under load: no failed request") {
    scenario_replicas_under_load("docker", 3);
  }
  TEST_CASE("kill -9 mid-swap with 3 replicas under load, then recovery: no failed request") {
    scenario_kill_at_every_step("docker",
                                {"deploy-before-switch:1", "deploy-in-drain_old:1", "deploy-before-stop_old:1"},
                                /*worker=*/false, /*replicas=*/3);
  }
}

}  // namespace e2e_deploy_docker_test
