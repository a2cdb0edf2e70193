// Test helpers for the planner: plan SQL text in memory (text before `-- pgstage:history-end` is
// the existing schema), and run a plan's steps naively against a database (the real executor,
// with retries and state, lives in executor/; this one only proves the SQL is right).
#pragma once

#include <functional>
#include <string>

#include "planner/planner.h"

namespace pgstage::test {

// Plans `sql` (history part replayed first). The result's error is set when no plan could be made.
planner::PlanResult plan_text(const std::string& sql, const std::string& name = "migration.sql");

// The steps of one phase joined as one string (SQL, or the batch template of a backfill).
std::string phase_text(const planner::Plan& p, planner::Phase phase);

// Runs every step of `phase` on `url` in order: transactional steps in their own transaction,
// others in autocommit, backfills batch by batch with keyset pagination. Returns "" or the error.
std::string run_phase(const std::string& url, const planner::Plan& p, planner::Phase phase);

}  // namespace pgstage::test
