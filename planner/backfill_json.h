// The one JSON shape of a backfill spec, shared by plan.json's `backfill` and the executor's state
// table (pgstage.steps.spec): {"table": {"schema", "name"}, "key_columns", "set_sql", "predicate",
// "batch_size", "from" (only for an UPDATE ... FROM)}.
#pragma once

#include <optional>
#include <string>

#include "planner/plan.h"

namespace pgstage::planner {

std::string backfill_spec_json(const BackfillSpec& b);

// Reads the shape above; also the older state-table shape ({"schema": "s", "table": "t", ...})
// so that a run recorded by an earlier pgstage resumes. Nullopt when it is no backfill spec.
std::optional<BackfillSpec> backfill_spec_from_json(const std::string& text);

}  // namespace pgstage::planner
