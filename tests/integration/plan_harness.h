// Proof harness for `pgstage plan` recipes on a real Postgres: a "before" schema with data, the
// plan's phases run in order (tests/support/plan_helpers run_phase) while two simulated releases
// issue their own statements from their own connections, and the final schema compared with a
// database where the original migration ran.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "planner/planner.h"

namespace pgstage::test {

// One application release: `op` runs one request (INSERT/UPDATE/SELECT) and returns the number of
// rows it inserted. It throws on any database error, which the harness counts.
struct Release {
  std::string name;
  std::function<int(pqxx::connection&, int iteration)> op;
};

class Traffic {
 public:
  Traffic(std::string url, Release r);
  ~Traffic();
  void start();
  void stop();
  // Waits until `n` more requests have completed (success or error); false after a 60 s bound.
  bool wait_requests(int n);
  int requests() const { return requests_; }
  int errors() const { return errors_; }
  int inserted() const { return inserted_; }
  const std::string& first_error() const { return first_error_; }
  const std::string& name() const { return release_.name; }

 private:
  std::string url_;
  Release release_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0}, errors_{0}, inserted_{0};
  std::string first_error_;
};

struct Scenario {
  std::string before;               // schema before the migration
  std::string data;                 // rows in the before schema
  std::string migration;            // the migration under plan
  std::string count_sql;            // SELECT count(*) of the rows that must all survive (run after contract)
  std::string initial_count_sql;    // the same count before the migration, when it names other objects
  std::string agree_sql;            // after the backfill: SELECT count(*) of rows where the old and new disagree
  Release old_release;              // runs during expand and backfill
  Release new_release;              // runs from the end of expand through contract
  std::string after_contract_sql;   // optional extra check after contract: must return 0
  std::string reference_migration;  // what the original migration does when it cannot run as written
};

struct ScenarioResult {
  planner::Plan plan;
  std::string error;  // planning or a step failed
  int old_requests = 0, old_errors = 0, new_requests = 0, new_errors = 0;
  std::string old_first_error, new_first_error;
  long initial_rows = 0, inserted = 0, final_rows = 0;
  long disagree = -1, after_contract = 0;
  std::vector<std::string> planned_schema, original_schema;
};

ScenarioResult run_scenario(const Scenario& s);

// Control: runs the migration as written while the old release serves; returns the old release's
// errors afterwards (a recipe's test is only meaningful if this is not zero), or -1 on setup failure.
int old_release_errors_as_written(const Scenario& s);

// A sorted description of the user schema (relations, columns with types, nullability and defaults,
// constraints, indexes, triggers, functions), without column positions.
std::vector<std::string> schema_snapshot(const std::string& url);

}  // namespace pgstage::test

namespace pgstage::test {
// The doctest assertions every scenario makes (zero errors, no row lost, agreement, same schema).
void check_scenario(const ScenarioResult& r);
}  // namespace pgstage::test
