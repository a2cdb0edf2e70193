// The deploy scenarios, shared by the process runtime (tests/integration, fast) and the docker
// runtime (tests/e2e). Each uses doctest assertions and its own DeployFixture.
#pragma once

#include <string>

namespace pgstage::test {

// v1 -> v2 (expand + backfill of users.name -> full_name) -> v3 (contract), all under load
// through HAProxy: zero non-2xx, zero connection errors, every acknowledged write readable.
void scenario_rename_under_load(const std::string& runtime);
// The whole flow with `pgstage apply` and the sample migrations (samples/app/migrations):
// apply v1 (creates the schema), apply v2 (the rename's expand + backfill, swap, mark deployed),
// apply v3 (the contract, swap), under load: zero errors, every acknowledged write readable.
void scenario_apply_flow_under_load(const std::string& runtime);
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

}  // namespace pgstage::test
