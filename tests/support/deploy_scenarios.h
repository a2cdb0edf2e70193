// The deploy scenarios, shared by the process runtime (tests/integration, fast) and the docker
// runtime (tests/e2e). Each uses doctest assertions and its own DeployFixture.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace pgstage::test {

// v1 -> v2 (expand + backfill of users.name -> full_name) -> v3 (contract), all under load
// through HAProxy: zero non-2xx, zero connection errors, every acknowledged write readable.
void scenario_rename_under_load(const std::string& runtime);
// The whole flow with `pgstage apply` and the sample migrations (samples/app/migrations):
// apply v1 (creates the schema), apply v2 (the rename's expand + backfill, swap, mark deployed),
// apply v3 (the contract, swap), under load: zero errors, every acknowledged write readable.
// `replicas` instances per service; `db_forward_host` as in FixtureOptions (swarm).
void scenario_apply_flow_under_load(const std::string& runtime, int replicas = 1,
                                    const std::string& db_forward_host = "");
// A release whose /healthz never turns healthy: exit 1 with its last log lines, the old release
// keeps serving without a single error, no stray instance.
void scenario_unhealthy_release(const std::string& runtime);
// A request in flight during the switch completes (on the old instance).
void scenario_slow_request_completes(const std::string& runtime);
// A request longer than the drain timeout is cut when the drain timeout passes, not before.
void scenario_long_request_cut_at_drain_timeout(const std::string& runtime);
// A second deploy while one holds the lock is refused.
void scenario_second_apply_refused(const std::string& runtime);
// A deploy killed with SIGKILL leaves an instance behind; the next deploy removes it.
void scenario_crash_recovery(const std::string& runtime);
// Contracts follow code and rollback, with `pgstage apply` and the sample migrations under load:
// v1; `broken` runs 002's expand and fails its health check (v1 keeps serving); v2 deploys but
// the contract waits (v1 was serving, deployed before the expand); `rollback` goes back to v1 and
// `apply v2` again still does not contract; v3 runs the contract (v2 was deployed after the
// expand); `rollback --to v1` and `apply --release v1` are refused naming the dropped column,
// nothing changed; `rollback --to v2` swaps back. Zero failed requests throughout.
void scenario_contracts_follow_code_and_rollback(const std::string& runtime);
// All services or none: web swaps to a release whose worker never turns healthy; web is swapped
// back to the old release, exit 1, the release not recorded, no failed request. Then a
// --verify-load that sees failed requests exits 3 with the release deployed and recorded.
void scenario_all_services_or_none(const std::string& runtime);
// Undoing a service's first deploy (all services or none): nothing served web before, its new
// instance served while the worker was checked, the worker never turns healthy: exit 1, web serves
// nothing again (as before the deploy), a request it took finishes first, nothing recorded. Then a
// first deploy killed before its record leaves web serving v1 unrecorded; the next release fails
// at its worker and web goes back to v1 under load, no failed request.
void scenario_undo_first_deploy(const std::string& runtime);
// The sample app's bounded pool under 32 concurrent requests that each hold a database connection
// (GET /db-sleep): every request answers 200 and the instance never holds more than 4 connections
// (one connection per server thread would reach about 32).
void scenario_db_pool_bounded(const std::string& runtime);
// Every step boundary of a web + worker deploy (deploy/fault.h): web's start_new, wait_healthy,
// switch, drain_old (before and during), stop_old and record; between the services; the worker's
// wait_healthy and stop_old; before the release is recorded. Both runtimes run all of them.
inline const std::vector<std::string> kKillPoints = {
    "deploy-before-start_new:1", "deploy-before-wait_healthy:1",  "deploy-before-switch:1",
    "deploy-before-drain_old:1", "deploy-in-drain_old:1",         "deploy-before-stop_old:1",
    "deploy-before-record:1",    "deploy-between-services:1",     "deploy-before-wait_healthy:2",
    "deploy-before-stop_old:2",  "deploy-before-release-record:1"};
// One fixture, steady load: for each fault point (deploy/fault.h, PGSTAGE_FAULT=POINT) a deploy
// is killed there with SIGKILL. Right after every kill a server is ready and at most two releases'
// instances exist. recover_each: then a deploy recovers and swaps, and is checked (one instance per
// service afterwards, on that release, one colour ready). Otherwise (chained, one deploy per point
// instead of two: for the slower docker runtime) the deploy killed at the next point is the one
// that recovers, and one final deploy is checked. Zero failed requests over the whole run, every
// acknowledged write readable.
// With `replicas` > 1: that many instances per service and per colour of HAProxy servers.
// runtime "swarm": `db_forward_host` as in FixtureOptions.
void scenario_kill_at_every_step(const std::string& runtime, const std::vector<std::string>& points, bool worker = true,
                                 int replicas = 1, const std::string& db_forward_host = "", bool recover_each = true);
// replicas = N for web and worker: v1 -> v2 -> v3 under load, zero failed requests, N instances
// of each service on the last release afterwards, exactly N HAProxy servers ready, pointing at them.
// runtime "swarm": `db_forward_host` is the Docker bridge gateway (see FixtureOptions).
void scenario_replicas_under_load(const std::string& runtime, int replicas, const std::string& db_forward_host = "");
// replicas = 3, process runtime: one of the three new instances never turns healthy (its command
// starts it as release "broken"): the release is refused, the three old instances keep serving
// with no failed request. Then with min_healthy = 2 the same release deploys on the two healthy
// instances and the unhealthy one is removed.
void scenario_replica_never_healthy_process();
// replicas = 3 on a swarm: a release that never turns healthy is refused (exit 1), every new
// Swarm service is removed, the three old tasks keep serving with no failed request.
void scenario_swarm_unhealthy_release(const std::string& db_forward_host);

// A node of a multi-node swarm and how to fail it.
struct SwarmNodeFaults {
  std::string addr;                  // the node's address (where its tasks are reached)
  std::function<void()> crash;       // kill -9 its dockerd (its containers keep running)
  std::function<void()> restart;     // start its dockerd again (it rejoins the swarm)
  std::function<bool()> marked_down; // whether the manager has marked it down
};
// replicas = 3 for web and worker over two nodes, under load, with the second node's dockerd
// killed during two deploys: once while the new tasks are health-checked (the deploy resumes only
// once the manager has marked the node down and Swarm has rescheduled its tasks), once right
// after the deploy began (its new tasks were just assigned to the dead node). Each deploy
// succeeds on three healthy tasks Swarm runs, following the replacements, and stops the old
// release without waiting for the tasks it cannot stop on the dead node. The node comes back
// between the deploys and after them; a last deploy spreads over both nodes again. Zero failed
// requests, every acknowledged write readable.
void scenario_swarm_node_lost(const std::string& db_forward_host, const SwarmNodeFaults& node);

}  // namespace pgstage::test
