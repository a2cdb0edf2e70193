// Keyset-batched backfill SQL: each batch updates the next `batch_size` rows (by primary key)
// that still match the predicate, and returns how many it updated and the last key it reached.
#pragma once

#include <string>
#include <vector>

#include "planner/plan.h"

namespace pgstage::deployer {

// One batch after `last_key` (empty: from the start). Returns one row (updated_count, key...)
// or no row when nothing is left. Values are compared through Postgres' own type resolution.
std::string backfill_batch_sql(const planner::BackfillSpec& spec, const std::vector<std::string>& last_key,
                               int batch_size);

// Estimated row count of the table (pg_class.reltuples), for the progress ETA.
std::string backfill_estimate_sql(const planner::BackfillSpec& spec);

// A SQL string literal ('...', quotes doubled; standard_conforming_strings is on since Postgres 9.1).
std::string sql_literal(const std::string& v);

}  // namespace pgstage::deployer
