// Keyset-batched backfill SQL: each batch updates the next `batch_size` rows (by primary key)
// that still match the predicate, and returns how many it updated and the last key it reached.
#pragma once

#include <string>
#include <vector>

#include "planner/plan.h"

namespace pgstage::executor {

// A batch is two statements in one short transaction (committed with its checkpoint):
// the upper key of the next `batch_size` rows after `last_key` (empty: from the start) that still
// match the predicate (no row: nothing left), then the UPDATE of that key range.
std::string backfill_bound_sql(const planner::BackfillSpec& spec, const std::vector<std::string>& last_key,
                               int batch_size);
std::string backfill_update_sql(const planner::BackfillSpec& spec, const std::vector<std::string>& last_key,
                                const std::vector<std::string>& upper_key);

// Estimated row count of the table (pg_class.reltuples), for the progress ETA.
std::string backfill_estimate_sql(const planner::BackfillSpec& spec);

// A SQL string literal ('...', quotes doubled; standard_conforming_strings is on since Postgres 9.1).
std::string sql_literal(const std::string& v);

}  // namespace pgstage::executor
