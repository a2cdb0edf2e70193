// The planner's batched-backfill SQL (planner/backfill_sql.cpp, the one algorithm) with key values
// as SQL literals.
#pragma once

#include <string>
#include <vector>

#include "planner/plan.h"

namespace pgstage::executor {

// A batch is two statements in one short transaction (committed with its checkpoint):
// the upper key of the next `batch_size` rows after `last_key` (empty: from the start) that still
// match the predicate (no row: nothing left), then the UPDATE of that key range.
std::string bound_sql_for(const planner::BackfillSpec& spec, const std::vector<std::string>& last_key,
                          int batch_size);
std::string update_sql_for(const planner::BackfillSpec& spec, const std::vector<std::string>& last_key,
                           const std::vector<std::string>& upper_key);

}  // namespace pgstage::executor
