// The deploy scenarios on the process runtime: real Postgres, real HAProxy, the sample app as
// local processes. Fast enough for the default test set.
#include <doctest/doctest.h>

#include "tests/support/deploy_scenarios.h"

using namespace pgstage::test;

TEST_SUITE("deploy (process runtime)") {
  TEST_CASE("v1 -> v2 -> v3 rename under load: no failed request, no lost write") {
    scenario_rename_under_load("process");
  }
  TEST_CASE("pgstage apply v1 -> v2 -> v3 with the sample migrations, under load") {
    scenario_apply_flow_under_load("process");
  }
  TEST_CASE("a release that never turns healthy is removed; the old one keeps serving") {
    scenario_unhealthy_release("process");
  }
  TEST_CASE("a request in flight during the switch completes") { scenario_slow_request_completes("process"); }
  TEST_CASE("a request longer than the drain timeout is cut at the drain timeout") {
    scenario_long_request_cut_at_drain_timeout("process");
  }
  TEST_CASE("a second apply is refused while one runs") { scenario_second_apply_refused("process"); }
  TEST_CASE("a deploy killed with SIGKILL is cleaned up by the next one") { scenario_crash_recovery("process"); }
  TEST_CASE("contracts follow code, not release names; rollback and its refusals, under load") {
    scenario_contracts_follow_code_and_rollback("process");
  }
  TEST_CASE("all services or none: a failing worker swaps web back; verify-load failures exit 3") {
    scenario_all_services_or_none("process");
  }
  TEST_CASE("kill -9 at every step boundary under load: no failed request, one release afterwards") {
    scenario_kill_at_every_step("process",
                                {"deploy-before-start_new:1", "deploy-before-wait_healthy:1", "deploy-before-switch:1",
                                 "deploy-before-drain_old:1", "deploy-in-drain_old:1", "deploy-before-stop_old:1",
                                 "deploy-before-record:1", "deploy-between-services:1", "deploy-before-wait_healthy:2",
                                 "deploy-before-stop_old:2", "deploy-before-release-record:1"});
  }
}

TEST_SUITE("deploy (process runtime, replicas = 3)") {
  TEST_CASE("v1 -> v2 -> v3 with 3 web and 3 worker instances under load: no failed request") {
    scenario_replicas_under_load("process", 3);
  }
  TEST_CASE("one of three new instances never healthy: refused, the old three serve; min_healthy = 2 deploys") {
    scenario_replica_never_healthy_process();
  }
  TEST_CASE("kill -9 mid-swap with 3 replicas under load, then recovery: no failed request") {
    scenario_kill_at_every_step("process",
                                {"deploy-before-wait_healthy:1", "deploy-before-switch:1", "deploy-in-drain_old:1",
                                 "deploy-before-stop_old:1", "deploy-between-services:1", "deploy-before-stop_old:2"},
                                /*worker=*/true, /*replicas=*/3);
  }
}
