#include "tests/support/deploy_scenarios.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <pqxx/pqxx>

#include "deploy/deploy_defaults.h"
#include "deploy/docker_runtime.h"
#include "deploy/http.h"
#include "deploy/router.h"
#include "tests/support/app_load.h"
#include "tests/support/deploy_fixture.h"

namespace pgstage::test {
namespace {

// The deploy deadline of scenarios in which some release must fail (it never turns healthy): the
// failing deploy takes this long, so it is short; the good releases of the same scenario must still
// make it on a loaded machine (on CI's two cores, with the sanitizer and swarm suites beside, one
// container start took 3 s and three took 11 s), so it is not 3 s.
const char* failing_deploy_timeout(const std::string& runtime) { return runtime == "process" ? "8s" : "15s"; }

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

#define REQUIRE_FIXTURE(f) REQUIRE_MESSAGE((f).ok(), (f).error())

// The servers of backend `app` that are ready, as host:port.
std::vector<std::string> ready_servers(DeployFixture& f) {
  deploy::HaproxyRouter router(f.haproxy.socket());
  std::vector<deploy::Slot> slots;
  std::string err;
  REQUIRE_MESSAGE(router.slots("app", slots, err), err);
  std::vector<std::string> out;
  for (const auto& s : slots)
    if (s.state == deploy::SlotState::Ready) out.push_back(s.addr + ":" + std::to_string(s.port));
  std::sort(out.begin(), out.end());
  return out;
}

void require_deployed(DeployFixture& f, const std::string& release, const std::vector<std::string>& extra = {}) {
  auto p = f.deploy(release, extra);
  INFO("pgstage deploy --release " << release << " output:\n" << p.out);
  REQUIRE(p.exit_code == 0);
}

// Waits (bounded) until the load has made progress, so a deploy really happens under load.
void wait_for_traffic(AppLoad& load, long at_least) {
  auto deadline = Clock::now() + 20s;
  while (load.ok_so_far() < at_least && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  REQUIRE_MESSAGE(load.ok_so_far() >= at_least, "the load made no progress through HAProxy");
}

void check_clean_load(const LoadReport& r) {
  std::string errors;
  for (const auto& e : r.first_errors) errors += "\n  " + e;
  INFO("load: " << r.ok << " ok, " << r.non_2xx << " non-2xx, " << r.conn_errors << " connection errors" << errors);
  CHECK(r.ok > 0);
  CHECK(r.non_2xx == 0);
  CHECK(r.conn_errors == 0);
}

// Every write the load saw acknowledged is in users.full_name (more than `at_least` of them).
void check_acked_writes(DeployFixture& f, const LoadReport& r, size_t at_least = 100) {
  pqxx::connection c(f.db_url);
  pqxx::nontransaction tx(c);
  long missing = 0;
  for (const auto& [id, name] : r.acked) {
    auto row = tx.exec_params("SELECT full_name FROM users WHERE id = $1", id);
    if (row.empty() || row[0][0].is_null() || row[0][0].as<std::string>() != name) ++missing;
  }
  INFO(r.acked.size() << " acknowledged writes");
  if (at_least > 0) CHECK(r.acked.size() > at_least);
  CHECK(missing == 0);
}

// Waits (bounded) until HAProxy counts a session on a live server, i.e. a request is in flight.
void wait_in_flight(DeployFixture& f) {
  deploy::HaproxyRouter router(f.haproxy.socket());
  auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    std::vector<deploy::Slot> slots;
    std::string err;
    if (router.slots("app", slots, err))
      for (const auto& s : slots)
        if (s.sessions > 0) return;
    std::this_thread::sleep_for(10ms);
  }
  FAIL("no request reached the backend within 10s");
}

}  // namespace

void scenario_rename_under_load(const std::string& runtime) {
  DeployFixture f({.runtime = runtime});
  REQUIRE_FIXTURE(f);
  require_deployed(f, "v1");
  CHECK(f.get("/release") == "v1\n");
  f.sql("INSERT INTO jobs (payload) SELECT 'job ' || g FROM generate_series(1, 200) g");

  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);

  f.sql(kExpandRenameSql);  // the pre-deploy step of v2: v1 keeps running against it
  long before = load.ok_so_far();
  require_deployed(f, "v2");
  wait_for_traffic(load, before + 50);
  CHECK(f.get("/release") == "v2\n");

  f.sql(kContractRenameSql);  // the pre-deploy step of v3: only v2 runs, it never reads `name`
  before = load.ok_so_far();
  auto v3 = f.deploy("v3", {"--verify-load", f.haproxy.url("/release")});
  INFO("pgstage deploy v3 output:\n" << v3.out);
  REQUIRE(v3.exit_code == 0);
  CHECK(v3.out.find(" 0 non-2xx, 0 connection errors") != std::string::npos);
  wait_for_traffic(load, before + 50);
  LoadReport r = load.stop();
  check_clean_load(r);
  CHECK(f.get("/release") == "v3\n");

  // Every acknowledged write is there under its new column name.
  check_acked_writes(f, r);

  // One instance per service remains, on the last release; the worker drained the jobs.
  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == 1);
  CHECK(webs[0].release == "v3");
  auto workers = f.instances(f.worker);
  REQUIRE(workers.size() == 1);
  CHECK(workers[0].release == "v3");
  auto deadline = Clock::now() + 20s;
  while (f.query1("SELECT count(*) FROM jobs WHERE done_at IS NULL") != "0" && Clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(f.query1("SELECT count(*) FROM jobs WHERE done_at IS NULL") == "0");
}

void scenario_apply_flow_under_load(const std::string& runtime, int replicas, const std::string& db_forward_host) {
  DeployFixture f({.runtime = runtime,
                   .deploy_timeout = "",  // the runtime's default (deploy_fixture.h)
                   .create_schema = false,
                   .replicas = replicas,
                   .db_forward_host = db_forward_host});
  REQUIRE_FIXTURE(f);
  // The migrations directory grows release by release, as a repository's does.
  std::string src = std::string(PGSTAGE_SOURCE_DIR) + "/samples/app/migrations/";
  std::string dir = f.dir + "/migrations";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(src + "001_create_users.sql", dir + "/001_create_users.sql");
  auto apply = [&](const std::string& release, const std::vector<std::string>& extra = {}) {
    auto p = f.apply(dir, release, extra);
    INFO("pgstage apply --release " << release << " output:\n" << p.out);
    REQUIRE(p.exit_code == 0);
    return p.out;
  };
  std::string out1 = apply("v1");
  CHECK(out1.find("run_predeploy") != std::string::npos);
  CHECK(out1.find("release v1 recorded as deployed") != std::string::npos);
  CHECK(f.get("/release") == "v1\n");

  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);
  std::filesystem::copy_file(src + "002_rename_name.sql", dir + "/002_rename_name.sql");
  long before = load.ok_so_far();
  std::string out2 = apply("v2");
  CHECK(out2.find("1 expanded") != std::string::npos);
  CHECK(f.get("/release") == "v2\n");
  wait_for_traffic(load, before + 50);
  CHECK(
      f.query1("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'name'") ==
      "1");

  before = load.ok_so_far();
  std::string out3 = apply("v3", {"--verify-load", f.haproxy.url("/release")});
  CHECK(out3.find("1 contracted") != std::string::npos);
  CHECK(out3.find(" 0 non-2xx, 0 connection errors") != std::string::npos);
  wait_for_traffic(load, before + 50);
  LoadReport r = load.stop();
  check_clean_load(r);
  CHECK(f.get("/release") == "v3\n");
  CHECK(
      f.query1("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'name'") ==
      "0");

  check_acked_writes(f, r);
  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == static_cast<size_t>(replicas));
  for (const auto& w : webs) CHECK(w.release == "v3");
}

void scenario_unhealthy_release(const std::string& runtime) {
  DeployFixture f({.runtime = runtime, .deploy_timeout = failing_deploy_timeout(runtime)});
  REQUIRE_FIXTURE(f);
  require_deployed(f, "v1");
  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);

  auto p = f.deploy("broken");
  INFO("output:\n" << p.out);
  CHECK(p.exit_code == 1);
  // "(8.0s)": the fixture's deadline, longer in sanitized builds.
  CHECK(p.out.find("wait_healthy: not healthy within the deploy timeout (") != std::string::npos);
  CHECK(p.out.find(".0s); last probe: HTTP 503") != std::string::npos);
  CHECK(p.out.find("the old instance keeps serving") != std::string::npos);
  CHECK(p.out.find("--- last log lines of the new instance ---") != std::string::npos);
  CHECK(p.out.find("sample-app broken web listening") != std::string::npos);

  long before = load.ok_so_far();
  wait_for_traffic(load, before + 20);
  check_clean_load(load.stop());
  CHECK(f.get("/release") == "v1\n");
  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == 1);
  CHECK(webs[0].release == "v1");
  CHECK(f.instances(f.worker).size() == 1);

  // The next good release goes through.
  require_deployed(f, "v2");
  CHECK(f.get("/release") == "v2\n");
}

void scenario_slow_request_completes(const std::string& runtime) {
  DeployFixture f({.runtime = runtime, .drain_timeout = "20s", .worker = false});
  REQUIRE_FIXTURE(f);
  require_deployed(f, "v1");
  auto slow = std::async(std::launch::async, [&] {
    long status = 0;
    std::string body = f.get("/slow?ms=2000", &status);
    return std::make_pair(status, body);
  });
  wait_in_flight(f);
  auto p = f.deploy("v2");
  INFO("output:\n" << p.out);
  CHECK(p.exit_code == 0);
  auto [status, body] = slow.get();
  CHECK(status == 200);
  CHECK(body == "slept 2000ms in v1\n");
  CHECK(p.out.find("drained") != std::string::npos);
  CHECK(f.get("/release") == "v2\n");
}

void scenario_long_request_cut_at_drain_timeout(const std::string& runtime) {
  DeployFixture f({.runtime = runtime, .drain_timeout = "2s", .worker = false});
  REQUIRE_FIXTURE(f);
  require_deployed(f, "v1");
  auto t0 = Clock::now();
  auto slow = std::async(std::launch::async, [&] {
    long status = 0;
    f.get("/slow?ms=60000", &status);
    return std::make_pair(status, Clock::now());
  });
  wait_in_flight(f);
  auto p = f.deploy("v2");
  INFO("output:\n" << p.out);
  CHECK(p.exit_code == 0);
  CHECK(p.out.find("still open at the drain timeout (2.0s), closing them") != std::string::npos);
  auto [status, ended] = slow.get();
  CHECK(status != 200);  // cut by `shutdown sessions`, not answered
  // Not before the drain timeout: the request lived at least that long.
  CHECK(ended - t0 >= 2s);
  CHECK(f.get("/release") == "v2\n");
}

void scenario_second_apply_refused(const std::string& runtime) {
  DeployFixture f({.runtime = runtime, .worker = false});
  REQUIRE_FIXTURE(f);
  require_deployed(f, "v1");
  // Hold the lock the way a running apply does.
  std::string lock = f.config.state_dir + "/apply.lock";
  int fd = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(flock(fd, LOCK_EX | LOCK_NB) == 0);
  auto p = f.deploy("v2");
  close(fd);
  INFO("output:\n" << p.out);
  CHECK(p.exit_code == 1);
  CHECK(p.out.find("another pgstage apply is running") != std::string::npos);
  CHECK(f.get("/release") == "v1\n");
  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == 1);
  CHECK(webs[0].release == "v1");
}

void scenario_crash_recovery(const std::string& runtime) {
  DeployFixture f({.runtime = runtime, .deploy_timeout = "60s", .worker = false});
  REQUIRE_FIXTURE(f);
  require_deployed(f, "v1");
  // `broken` never turns healthy, so pgstage sits in wait_healthy until we kill it.
  auto p = f.start_deploy("broken");
  auto deadline = Clock::now() + 30s;
  while (f.instances(f.web).size() < 2 && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  REQUIRE(f.instances(f.web).size() == 2);
  kill(p.pid(), SIGKILL);
  p.finish(30s);
  CHECK(f.get("/release") == "v1\n");

  AppLoad load(f.haproxy.url(""));
  load.start(2);
  wait_for_traffic(load, 20);
  f.sql(kExpandRenameSql);  // v2 writes full_name
  auto next = f.deploy("v2");
  INFO("output:\n" << next.out);
  CHECK(next.exit_code == 0);
  CHECK(next.out.find("removed leftover") != std::string::npos);
  long before = load.ok_so_far();
  wait_for_traffic(load, before + 20);
  check_clean_load(load.stop());
  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == 1);
  CHECK(webs[0].release == "v2");
}

void scenario_contracts_follow_code_and_rollback(const std::string& runtime) {
  DeployFixture f(
      {.runtime = runtime, .deploy_timeout = failing_deploy_timeout(runtime), .worker = false, .create_schema = false});
  REQUIRE_FIXTURE(f);
  std::string src = std::string(PGSTAGE_SOURCE_DIR) + "/samples/app/migrations/";
  std::string dir = f.dir + "/migrations";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(src + "001_create_users.sql", dir + "/001_create_users.sql");
  auto apply = [&](const std::string& release, int want) {
    auto p = f.apply(dir, release);
    INFO("pgstage apply --release " << release << " output:\n" << p.out);
    REQUIRE(p.exit_code == want);
    return p.out;
  };
  auto has_name = [&] {
    return f.query1(
               "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'name'") ==
           "1";
  };
  apply("v1", 0);
  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);

  // A release that fails its health check ran the expand; it never counts for the contract.
  std::filesystem::copy_file(src + "002_rename_name.sql", dir + "/002_rename_name.sql");
  std::string bad = apply("broken", 1);
  CHECK(bad.find("1 expanded") != std::string::npos);
  CHECK(f.get("/release") == "v1\n");
  auto st = run_pgstage({"status", "--database-url", f.db_url}, {.merge_stderr = true});
  INFO("status:\n" << st.out);
  CHECK(st.out.find("002_rename_name.sql: contract waits until a release deployed after its expand (applied with "
                    "release broken) is the only one running; serving now: v1, deployed before the expand") !=
        std::string::npos);
  std::string out2 = apply("v2", 0);
  CHECK(out2.find("0 contracted") != std::string::npos);
  CHECK(out2.find("serving now: v1, deployed before the expand") != std::string::npos);
  CHECK(has_name());

  // Back to v1 (deployed before the expand, which v1 survives): the contract still waits.
  auto back = f.rollback();
  INFO("rollback output:\n" << back.out);
  REQUIRE(back.exit_code == 0);
  CHECK(back.out.find("rollback from release v2 to v1") != std::string::npos);
  CHECK(f.get("/release") == "v1\n");
  std::string again = apply("v2", 0);
  CHECK(again.find("0 contracted") != std::string::npos);
  CHECK(has_name());
  CHECK(f.get("/release") == "v2\n");

  std::string out3 = apply("v3", 0);
  CHECK(out3.find("1 contracted") != std::string::npos);
  CHECK_FALSE(has_name());
  CHECK(f.get("/release") == "v3\n");

  // v1 reads users.name, which the contract dropped: refused, nothing changed.
  auto webs_before = f.instances(f.web);
  auto refused = f.rollback({"--to", "v1"});
  INFO("rollback --to v1 output:\n" << refused.out);
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.find("002_rename_name.sql: its contract ran after v1 was deployed") != std::string::npos);
  CHECK(refused.out.find("RENAME COLUMN \"name\" TO \"full_name\"") != std::string::npos);
  auto swap_v1 = f.deploy("v1");  // the swap alone checks the same
  INFO("deploy --release v1 output:\n" << swap_v1.out);
  CHECK(swap_v1.exit_code == 1);
  CHECK(swap_v1.out.find("refused: release v1 cannot run against the schema as it is now") != std::string::npos);
  auto older = f.apply(dir, "v1");
  INFO("apply --release v1 output:\n" << older.out);
  CHECK(older.exit_code == 1);
  CHECK(older.out.find("pgstage rollback --to v1") != std::string::npos);
  auto webs_after = f.instances(f.web);
  REQUIRE(webs_after.size() == 1);
  CHECK(webs_after[0].id == webs_before[0].id);
  CHECK(f.get("/release") == "v3\n");

  auto to_v2 = f.rollback({"--to", "v2"});
  INFO("rollback --to v2 output:\n" << to_v2.out);
  CHECK(to_v2.exit_code == 0);
  CHECK(f.get("/release") == "v2\n");
  CHECK(f.query1("SELECT name FROM pgstage.releases ORDER BY serving_since DESC NULLS LAST LIMIT 1") == "v2");
  long before = load.ok_so_far();
  wait_for_traffic(load, before + 20);
  check_clean_load(load.stop());
  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == 1);
  CHECK(webs[0].release == "v2");
}

void scenario_all_services_or_none(const std::string& runtime) {
  DeployFixture f({.runtime = runtime, .deploy_timeout = failing_deploy_timeout(runtime)});
  REQUIRE_FIXTURE(f);
  f.sql(kExpandRenameSql);
  require_deployed(f, "v1");
  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);

  auto p = f.deploy("broken-worker");
  INFO("output:\n" << p.out);
  CHECK(p.exit_code == 1);
  CHECK(p.out.find(f.worker + ": wait_healthy: not healthy within the deploy timeout") != std::string::npos);
  CHECK(p.out.find(f.web + " swapped back to release v1") != std::string::npos);
  CHECK(f.get("/release") == "v1\n");
  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == 1);
  CHECK(webs[0].release == "v1");
  auto workers = f.instances(f.worker);
  REQUIRE(workers.size() == 1);
  CHECK(workers[0].release == "v1");
  long before = load.ok_so_far();
  wait_for_traffic(load, before + 20);
  check_clean_load(load.stop());

  // Deployed, but the verify-load URL answers 404: exit 3, decided before the release is recorded,
  // and the release is recorded (it serves).
  auto v = f.deploy("v2", {"--verify-load", f.haproxy.url("/no-such-page")});
  INFO("output:\n" << v.out);
  CHECK(v.exit_code == 3);
  CHECK(v.out.find("is deployed and recorded, but --verify-load saw failed requests") != std::string::npos);
  CHECK(v.out.find("verify-load:") < v.out.find("recorded as deployed"));
  CHECK(f.get("/release") == "v2\n");
  // The failed release was never recorded in the pgstage state; v2 is, and serves.
  CHECK(f.query1("SELECT count(*) FROM pgstage.releases WHERE name = 'broken-worker' AND deployed_at IS NOT NULL") ==
        "0");
  CHECK(f.query1("SELECT name FROM pgstage.releases ORDER BY serving_since DESC NULLS LAST LIMIT 1") == "v2");
}

void scenario_undo_first_deploy(const std::string& runtime) {
  DeployFixture f({.runtime = runtime, .drain_timeout = "10s", .deploy_timeout = failing_deploy_timeout(runtime)});
  REQUIRE_FIXTURE(f);
  f.sql(kExpandRenameSql);

  // 1. Nothing ever served: the first deploy's web turns healthy and takes traffic, its worker
  // never does. Undone means serving nothing again, as before the deploy (there is no old release,
  // and no part of an unrecorded release may keep running), but a request the new web took
  // finishes first.
  REQUIRE(ready_servers(f).empty());
  auto started = f.start_deploy("broken-worker");
  auto deadline = Clock::now() + 30s;
  while (f.get("/release") != "broken-worker\n" && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  REQUIRE(f.get("/release") == "broken-worker\n");
  auto slow = std::async(std::launch::async, [&] {
    long status = 0;
    std::string body = f.get("/slow?ms=4500", &status);
    return std::make_pair(status, body);
  });
  wait_in_flight(f);
  auto p = started.finish(std::chrono::seconds(60));
  INFO("first deploy output:\n" << p.out);
  CHECK(p.exit_code == 1);
  CHECK(p.out.find(f.worker + ": wait_healthy: not healthy within the deploy timeout") != std::string::npos);
  CHECK(p.out.find(f.web + " served nothing before this deploy") != std::string::npos);
  CHECK(p.out.find("undo:retire") != std::string::npos);
  auto answer = slow.get();
  CHECK(answer.first == 200);  // drained, not cut
  CHECK(answer.second == "slept 4500ms in broken-worker\n");
  CHECK(ready_servers(f).empty());
  CHECK(f.instances(f.web).empty());
  CHECK(f.instances(f.worker).empty());
  // Nothing recorded: no release was ever deployed, so pgstage has not even created its table.
  if (!f.query1("SELECT to_regclass('pgstage.releases')::text").empty())
    CHECK(f.query1("SELECT count(*) FROM pgstage.releases WHERE deployed_at IS NOT NULL") == "0");

  // 2. A first deploy killed before its record leaves web serving v1, unrecorded. The next release
  // fails at its worker: web goes back to v1, what served when that deploy began (not retired
  // because the state holds no release for it). Under load, no failed request.
  f.env["PGSTAGE_FAULT"] = "deploy-before-record:1";
  auto killed = f.start_deploy("v1").finish(std::chrono::seconds(60));
  f.env.erase("PGSTAGE_FAULT");
  INFO("killed deploy output:\n" << killed.out);
  REQUIRE(killed.signal == SIGKILL);
  REQUIRE(f.get("/release") == "v1\n");
  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);
  auto q = f.deploy("broken-worker");
  INFO("output:\n" << q.out);
  CHECK(q.exit_code == 1);
  CHECK(q.out.find(f.web + " swapped back to release v1") != std::string::npos);
  long before = load.ok_so_far();
  wait_for_traffic(load, before + 20);
  check_clean_load(load.stop());
  CHECK(f.get("/release") == "v1\n");
  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == 1);
  CHECK(webs[0].release == "v1");
  CHECK(f.instances(f.worker).empty());
  CHECK(ready_servers(f).size() == 1);

  // The next good release deploys both services.
  require_deployed(f, "v2");
  CHECK(f.get("/release") == "v2\n");
  CHECK(f.instances(f.worker).size() == 1);
}

void scenario_db_pool_bounded(const std::string& runtime) {
  DeployFixture f({.runtime = runtime, .worker = false});
  REQUIRE_FIXTURE(f);
  require_deployed(f, "v1");
  // 32 requests at once, each holding a database connection for 300 ms (GET /db-sleep): an app
  // with one connection per server thread (64 threads) opens about 32; the pool (APP_DB_POOL,
  // default 4) never more than 4, the others wait for a free one (8 rounds of 300 ms, well within
  // the 5 s a request waits).
  constexpr int kRequests = 32;
  std::atomic<bool> done{false};
  std::atomic<long> peak{0};
  std::thread sampler([&] {
    pqxx::connection c(f.db_url);
    pqxx::nontransaction tx(c);
    while (!done) {
      auto r = tx.exec(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
          "pid <> pg_backend_pid()");
      long n = r[0][0].as<long>();
      if (n > peak) peak = n;
      std::this_thread::sleep_for(10ms);
    }
  });
  std::vector<long> status(kRequests, 0);
  std::vector<std::string> bodies(kRequests);
  auto t0 = Clock::now();
  {
    std::vector<std::jthread> clients;
    for (int k = 0; k < kRequests; ++k)
      clients.emplace_back([&, k] {
        deploy::HttpRequest req;
        req.url = f.haproxy.url("/db-sleep?ms=300");
        req.timeout = 30s;
        deploy::HttpResponse resp;
        std::string err;
        if (deploy::http_request(req, resp, err)) {
          status[k] = resp.status;
          bodies[k] = resp.body;
        } else {
          bodies[k] = err;
        }
      });
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  done = true;
  sampler.join();
  int ok = 0;
  std::string first_failure;
  for (int k = 0; k < kRequests; ++k) {
    if (status[k] == 200)
      ++ok;
    else if (first_failure.empty())
      first_failure = "HTTP " + std::to_string(status[k]) + ": " + bodies[k];
  }
  INFO(ok << " of " << kRequests << " requests answered 200 in " << took << " ms; first failure: " << first_failure);
  INFO("peak database connections of the instance: " << peak.load());
  CHECK(ok == kRequests);
  CHECK(peak.load() >= 3);  // the load kept the pool busy: the check below is not vacuous
  CHECK(peak.load() <= 4);
}

void scenario_kill_at_every_step(const std::string& runtime, const std::vector<std::string>& points, bool worker,
                                 int replicas, const std::string& db_forward_host, bool recover_each) {
  DeployFixture f({.runtime = runtime,
                   .drain_timeout = "2s",
                   .deploy_timeout = runtime == "process" ? "20s" : "",
                   .worker = worker,
                   .replicas = replicas,
                   .db_forward_host = db_forward_host});
  REQUIRE_FIXTURE(f);
  f.sql(kExpandRenameSql);  // v1 (users.name) and later releases (full_name) both run against it
  require_deployed(f, "v1");
  f.sql("INSERT INTO jobs (payload) SELECT 'job ' || g FROM generate_series(1, 100) g");
  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);
  // A deploy of `next` that had to recover from a kill: it succeeds, `next` alone serves, no
  // leftover instance, one colour ready.
  auto recover_with = [&](const std::string& next) {
    auto d = f.deploy(next);
    INFO("the next deploy printed:\n" << d.out);
    REQUIRE(d.exit_code == 0);
    CHECK(f.get("/release") == next + "\n");
    auto webs = f.instances(f.web);
    REQUIRE(webs.size() == static_cast<size_t>(replicas));
    for (const auto& w : webs) CHECK(w.release == next);
    if (worker) {
      auto workers = f.instances(f.worker);
      REQUIRE(workers.size() == static_cast<size_t>(replicas));
      for (const auto& w : workers) CHECK(w.release == next);
    }
    // The sample app's bounded pool (APP_DB_POOL, default 4): the instances running now hold at
    // most 4 connections each, however many requests the load sends (before: one per server thread).
    long conns =
        std::stol(f.query1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                           "pid <> pg_backend_pid()"));
    CHECK(conns <= (worker ? 8 : 4) * replicas);
    CHECK(ready_servers(f).size() == static_cast<size_t>(replicas));  // one colour serves, the other is out
  };
  int n = 0;
  for (const auto& point : points) {
    ++n;
    std::string crashed = "c" + std::to_string(n), next = "r" + std::to_string(n);
    f.env["PGSTAGE_FAULT"] = point;
    // Chained (recover_each = false): this deploy also recovers from the previous kill.
    auto p = f.start_deploy(crashed);
    auto killed = p.finish(std::chrono::seconds(60));
    f.env.erase("PGSTAGE_FAULT");
    INFO("kill point " << point << "; the killed deploy printed:\n" << killed.out);
    REQUIRE(killed.signal == SIGKILL);
    // Right after the kill, HAProxy still has a ready server.
    CHECK(!ready_servers(f).empty());
    // At most the instances of two releases: whatever an earlier kill left was removed.
    CHECK(f.instances(f.web).size() <= static_cast<size_t>(2 * replicas));
    if (worker) CHECK(f.instances(f.worker).size() <= static_cast<size_t>(2 * replicas));
    long before = load.ok_so_far();
    wait_for_traffic(load, before + 20);
    if (recover_each) {
      recover_with(next);
      before = load.ok_so_far();
      wait_for_traffic(load, before + 20);
    }
  }
  if (!recover_each) {
    recover_with("r");
    long before = load.ok_so_far();
    wait_for_traffic(load, before + 20);
  }
  LoadReport r = load.stop();
  check_clean_load(r);
  check_acked_writes(f, r, 0);
}

namespace {

std::vector<std::string> addresses(const std::vector<deploy::Instance>& v) {
  std::vector<std::string> out;
  for (const auto& i : v) out.push_back(i.host + ":" + std::to_string(i.port));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void scenario_replicas_under_load(const std::string& runtime, int replicas, const std::string& db_forward_host) {
  DeployFixture f({.runtime = runtime,
                   .deploy_timeout = "",  // the runtime's default (deploy_fixture.h)
                   .replicas = replicas,
                   .db_forward_host = db_forward_host});
  REQUIRE_FIXTURE(f);
  f.sql(kExpandRenameSql);  // v1 (users.name) and v2, v3 (full_name) all run against it
  require_deployed(f, "v1");
  CHECK(f.instances(f.web).size() == static_cast<size_t>(replicas));
  CHECK(f.instances(f.worker).size() == static_cast<size_t>(replicas));
  CHECK(ready_servers(f) == addresses(f.instances(f.web)));
  f.sql("INSERT INTO jobs (payload) SELECT 'job ' || g FROM generate_series(1, 200) g");

  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);
  for (const char* release : {"v2", "v3"}) {
    long before = load.ok_so_far();
    auto p = f.deploy(release);
    INFO("pgstage deploy --release " << release << " output:\n" << p.out);
    REQUIRE(p.exit_code == 0);
    CHECK(p.out.find(std::to_string(replicas) + " of " + std::to_string(replicas) + " with 2 consecutive 2xx") !=
          std::string::npos);
    wait_for_traffic(load, before + 50);
    CHECK(f.get("/release") == std::string(release) + "\n");
  }
  LoadReport r = load.stop();
  check_clean_load(r);

  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == static_cast<size_t>(replicas));
  for (const auto& w : webs) CHECK(w.release == "v3");
  CHECK(ready_servers(f) == addresses(webs));
  auto workers = f.instances(f.worker);
  REQUIRE(workers.size() == static_cast<size_t>(replicas));
  for (const auto& w : workers) CHECK(w.release == "v3");
  if (runtime == "swarm") {
    // A Swarm task's container carries the service's labels; the docker runtime on the same engine
    // must not list it as one of its own (it would stop what Swarm restarts).
    pgstage::deploy::DockerRuntime docker(std::string(pgstage::deploy::kDefaultDockerSocket), "bridge", "127.0.0.1");
    std::vector<pgstage::deploy::Instance> seen;
    std::string err;
    REQUIRE_MESSAGE(docker.list("", seen, err), err);
    for (const auto& i : seen) CHECK_MESSAGE((i.service != f.web && i.service != f.worker), i.service << " " << i.id);
  }
  // Every acknowledged write is there.
  check_acked_writes(f, r);
  auto deadline = Clock::now() + 20s;
  while (f.query1("SELECT count(*) FROM jobs WHERE done_at IS NULL") != "0" && Clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(f.query1("SELECT count(*) FROM jobs WHERE done_at IS NULL") == "0");
}

void scenario_replica_never_healthy_process() {
  DeployFixture f(
      {.runtime = "process", .deploy_timeout = failing_deploy_timeout("process"), .worker = false, .replicas = 3});
  REQUIRE_FIXTURE(f);
  f.sql(kExpandRenameSql);
  require_deployed(f, "v1");
  auto v1 = addresses(f.instances(f.web));
  REQUIRE(v1.size() == 3);

  // From now on the first instance each deploy starts runs as release "broken" (never healthy).
  std::string marker = f.dir + "/first-started";
  std::string app = PGSTAGE_SAMPLE_APP;
  std::string toml;
  {
    std::ifstream in(f.config_path);
    toml.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string plain = "command = \"exec " + app + "\"";
  auto at = toml.find(plain);
  REQUIRE(at != std::string::npos);
  toml.replace(at, plain.size(),
               "command = \"if mkdir " + marker + " 2>/dev/null; then APP_RELEASE=broken exec " + app + "; else exec " +
                   app + "; fi\"");
  std::ofstream(f.config_path) << toml;

  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);
  auto p = f.deploy("v2");
  INFO("output:\n" << p.out);
  CHECK(p.exit_code == 1);
  CHECK(p.out.find("wait_healthy: 2 of 3 new instances healthy, 3 needed") != std::string::npos);
  CHECK(p.out.find("the old instances keep serving") != std::string::npos);
  CHECK(p.out.find("sample-app broken web listening") != std::string::npos);
  long before = load.ok_so_far();
  wait_for_traffic(load, before + 20);
  CHECK(f.get("/release") == "v1\n");
  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == 3);
  for (const auto& w : webs) CHECK(w.release == "v1");
  CHECK(addresses(webs) == v1);
  CHECK(ready_servers(f) == v1);

  // With min_healthy = 2 the two healthy instances are enough; the unhealthy one is removed.
  std::filesystem::remove(marker);
  std::ofstream(f.config_path, std::ios::app) << "min_healthy = 2\n";
  auto q = f.deploy("v2");
  INFO("output:\n" << q.out);
  CHECK(q.exit_code == 0);
  CHECK(q.out.find("2 of 3 with 2 consecutive 2xx on /healthz; removed the unhealthy") != std::string::npos);
  before = load.ok_so_far();
  wait_for_traffic(load, before + 20);
  check_clean_load(load.stop());
  CHECK(f.get("/release") == "v2\n");
  webs = f.instances(f.web);
  REQUIRE(webs.size() == 2);
  for (const auto& w : webs) CHECK(w.release == "v2");
  CHECK(ready_servers(f) == addresses(webs));
}

void scenario_swarm_unhealthy_release(const std::string& db_forward_host) {
  DeployFixture f({.runtime = "swarm",
                   .deploy_timeout = "30s",
                   .worker = false,
                   .replicas = 3,
                   .db_forward_host = db_forward_host});
  REQUIRE_FIXTURE(f);
  require_deployed(f, "v1");
  auto v1 = addresses(f.instances(f.web));
  REQUIRE(v1.size() == 3);
  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);
  auto p = f.deploy("broken");
  INFO("output:\n" << p.out);
  CHECK(p.exit_code == 1);
  CHECK(p.out.find("wait_healthy: 0 of 3 new instances healthy, 3 needed") != std::string::npos);
  CHECK(p.out.find("the old instances keep serving") != std::string::npos);
  CHECK(p.out.find("sample-app broken web listening") != std::string::npos);
  long before = load.ok_so_far();
  wait_for_traffic(load, before + 20);
  check_clean_load(load.stop());
  CHECK(f.get("/release") == "v1\n");
  auto webs = f.instances(f.web);
  REQUIRE(webs.size() == 3);
  for (const auto& w : webs) CHECK(w.release == "v1");
  CHECK(addresses(webs) == v1);
  CHECK(ready_servers(f) == v1);
}

}  // namespace pgstage::test

namespace pgstage::test {

void scenario_swarm_node_lost(const std::string& db_forward_host, const SwarmNodeFaults& node) {
  // 120 s: the manager marks a node down after about 15 s without a heartbeat, then Swarm starts
  // the replacements; all of it happens within one deploy.
  DeployFixture f({.runtime = "swarm", .deploy_timeout = "120s", .replicas = 3, .db_forward_host = db_forward_host});
  REQUIRE_FIXTURE(f);
  f.sql(kExpandRenameSql);
  require_deployed(f, "v1");
  auto on_node = [&](const std::vector<deploy::Instance>& v) {
    return std::count_if(v.begin(), v.end(), [&](const deploy::Instance& i) { return i.host == node.addr; });
  };
  // Swarm spreads a service's tasks over the nodes: some of v1 serves from the node that is lost.
  REQUIRE(on_node(f.instances(f.web)) > 0);
  f.sql("INSERT INTO jobs (payload) SELECT 'job ' || g FROM generate_series(1, 200) g");

  AppLoad load(f.haproxy.url(""));
  load.start(4);
  wait_for_traffic(load, 50);

  // Deploys `release` paused at `point`: there the node's dockerd is killed; the deploy goes on
  // right away, or once the manager has marked the node down.
  const std::string pause = f.dir + "/paused";
  auto deploy_losing_node = [&](const std::string& release, const std::string& point, bool wait_marked_down) {
    f.env["PGSTAGE_FAULT"] = point;
    f.env["PGSTAGE_FAULT_PAUSE"] = pause;
    Started d = f.start_deploy(release);
    f.env.erase("PGSTAGE_FAULT");
    f.env.erase("PGSTAGE_FAULT_PAUSE");
    auto deadline = Clock::now() + 120s;
    while (!std::filesystem::exists(pause) && Clock::now() < deadline) std::this_thread::sleep_for(50ms);
    if (!std::filesystem::exists(pause)) {
      auto p = d.finish(10s);
      FAIL("the deploy of " << release << " never reached " << point << ":\n" << p.out);
    }
    node.crash();
    if (wait_marked_down) {
      deadline = Clock::now() + 60s;
      while (!node.marked_down() && Clock::now() < deadline) std::this_thread::sleep_for(200ms);
      CHECK_MESSAGE(node.marked_down(), "the manager never marked the node down after its dockerd was killed");
      // Swarm reschedules the node's tasks within a second of marking it down.
      std::this_thread::sleep_for(3s);
    }
    std::filesystem::remove(pause);
    auto p = d.finish(300s);
    INFO("pgstage deploy --release " << release << " (node lost at " << point << ") output:\n" << p.out);
    REQUIRE(p.exit_code == 0);
    for (const auto& svc : {f.web, f.worker}) {
      auto v = f.instances(svc);
      CHECK(v.size() == 3);
      for (const auto& i : v) CHECK_MESSAGE(i.release == release, svc << " " << i.id << " " << i.release);
      CHECK(on_node(v) == 0);  // only what Swarm runs on the nodes left
    }
    CHECK(ready_servers(f) == addresses(f.instances(f.web)));
    return p.out;
  };

  MESSAGE("node lost while v2's tasks are health-checked");
  std::string out = deploy_losing_node("v2", "deploy-before-wait_healthy:1", /*wait_marked_down=*/true);
  // Some of v2's tasks were on the lost node: the gate followed the tasks Swarm started instead.
  auto followed = out.find("followed Swarm's replacement of");
  CHECK(followed != std::string::npos);
  if (followed != std::string::npos) MESSAGE(out.substr(followed, out.find('\n', followed) - followed));
  node.restart();
  long before = load.ok_so_far();
  wait_for_traffic(load, before + 50);

  MESSAGE("node lost as v3's deploy begins (its new tasks are assigned to the dead node)");
  deploy_losing_node("v3", "deploy-before-start_new:1", /*wait_marked_down=*/false);
  node.restart();
  before = load.ok_so_far();
  wait_for_traffic(load, before + 50);

  MESSAGE("the node is back: v4 spreads over both nodes again");
  require_deployed(f, "v4");
  CHECK(on_node(f.instances(f.web)) > 0);
  CHECK(ready_servers(f) == addresses(f.instances(f.web)));
  before = load.ok_so_far();
  wait_for_traffic(load, before + 50);

  LoadReport r = load.stop();
  check_clean_load(r);
  check_acked_writes(f, r);
  auto deadline = Clock::now() + 20s;
  while (f.query1("SELECT count(*) FROM jobs WHERE done_at IS NULL") != "0" && Clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(f.query1("SELECT count(*) FROM jobs WHERE done_at IS NULL") == "0");
}

}  // namespace pgstage::test
