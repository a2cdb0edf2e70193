// The unit the executor runs: one step of a migration (from a Plan, or the migration as written),
// with enough information to run it again after a crash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "planner/plan.h"

namespace pgstage::executor {

struct ExecStep {
  std::string migration;  // migration name (file name relative to the migrations directory)
  std::string id;         // unique within the migration, e.g. "as-written-1" or the plan's step id
  int ord = 0;            // run order within the migration
  planner::Phase phase = planner::Phase::Expand;
  std::string kind;  // as-written, backfill, create-index-concurrently, validate-constraint, ...
  std::string sql;   // empty for backfill steps
  bool transactional = true;
  std::optional<planner::BackfillSpec> backfill;
};

std::string phase_str(planner::Phase p);
planner::Phase phase_from_str(const std::string& s);

// The step's "spec" column in pgstage.steps (JSON of the backfill spec, or "{}").
std::string backfill_to_json(const std::optional<planner::BackfillSpec>& b);
std::optional<planner::BackfillSpec> backfill_from_json(const std::string& json);

// Steps whose statements need a long statement_timeout (CONCURRENTLY builds, VALIDATE, backfills).
bool is_long_running(const ExecStep& s);

}  // namespace pgstage::executor
