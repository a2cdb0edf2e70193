// The deploy scenarios on the process runtime: real Postgres, real HAProxy, the sample app as
// local processes. Fast enough for the default test set.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "tests/support/cli_run.h"
#include "tests/support/deploy_fixture.h"
#include "tests/support/deploy_scenarios.h"

namespace integration_deploy_process_test {

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
  TEST_CASE("undoing a first deploy: the service serves nothing again, as before; an unrecorded one goes back") {
    scenario_undo_first_deploy("process");
  }
  TEST_CASE("the sample app's pool: 32 concurrent requests holding a connection, at most 4 connections") {
    scenario_db_pool_bounded("process");
  }
  TEST_CASE("kill -9 at every step boundary under load: no failed request, one release afterwards") {
    scenario_kill_at_every_step("process", kKillPoints);
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

TEST_SUITE("deploy (process runtime, replicas = 3, stop)") {
  TEST_CASE("the old workers are stopped together: their stop grace periods overlap") {
    // Each v1 worker takes 1.5 s to exit after SIGTERM (a long job being finished). Stopped one
    // after another, the last would get its SIGTERM 3 s after the first; stopped together, all
    // three get it at once.
    TempDir tmp;
    std::string log = tmp.path() + "/stops.log";
    DeployFixture f({.replicas = 3, .worker_stop_delay_ms = 1500, .worker_stop_log = log});
    REQUIRE_MESSAGE(f.ok(), f.error());
    f.sql(kExpandRenameSql);
    auto p = f.deploy("v1");
    INFO(p.out);
    REQUIRE(p.exit_code == 0);
    p = f.deploy("v2");
    INFO(p.out);
    REQUIRE(p.exit_code == 0);
    std::ifstream in(log);
    std::vector<long long> v1_terms;
    std::string release;
    long long pid = 0, ms = 0;
    while (in >> release >> pid >> ms)
      if (release == "v1") v1_terms.push_back(ms);
    REQUIRE(v1_terms.size() == 3);  // the three v1 workers (web instances do not log)
    long long spread = *std::max_element(v1_terms.begin(), v1_terms.end()) -
                       *std::min_element(v1_terms.begin(), v1_terms.end());
    INFO("SIGTERM spread over the old workers: " << spread << " ms");
    CHECK(spread < 1000);  // one after another: at least 1500 ms apart
  }
}

}  // namespace integration_deploy_process_test
