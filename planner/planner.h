// The planner: turns a migration (with the schema before it) into a staged Plan. No database.
#pragma once

#include <string>

#include "analyzer/catalog.h"
#include "analyzer/lint.h"
#include "analyzer/source.h"
#include "planner/plan.h"

namespace pgstage::planner {

struct PlanOptions {
  LintSettings settings;  // pg_version etc.
  int batch_size = 1000;  // default backfill batch size
};

struct PlanResult {
  bool ok = false;
  Plan plan;
  // When !ok: why no plan could be made, naming file:line:column and what to do
  // (e.g. "add `-- pgstage:fill <expression>` above the statement").
  std::string error;
  // Unsafe findings that have no recipe (the caller decides whether to refuse the migration).
  std::vector<Finding> unplannable;
};

// Plans the analysed file against the schema before it. A statement whose finding the author
// suppressed with an ignore comment runs as written.
PlanResult make_plan(const FileAnalysis& file, const PlanOptions& opts);

// plan.json (de)serialization. from_json refuses an unknown `version` with a clear error.
std::string to_json(const Plan& p);
bool from_json(const std::string& text, Plan& out, std::string& err);

// Human-readable plan: phases, which releases run during each, every step with why and its SQL.
std::string render_text(const Plan& p);
// The SQL of one phase as a script (backfill steps appear as commented batch templates), for --out.
std::string phase_sql(const Plan& p, Phase phase);
// A batched backfill (planner/backfill_sql.cpp), one algorithm for the executor and for what plans
// show: each batch is one short transaction that finds the last key of the next `batch_size` rows
// after `after` (empty: from the first row) that still match the predicate (no row: done), then
// updates the rows in (after, upper]. Key values are SQL expressions: literals (the executor) or
// $n parameters (shown plans). Keyset ranges by primary key, never OFFSET.
std::string backfill_bound_sql(const BackfillSpec& b, const std::vector<std::string>& after, int batch_size);
std::string backfill_update_sql(const BackfillSpec& b, const std::vector<std::string>& after,
                                const std::vector<std::string>& upper);
// Estimated row count of the table (pg_class.reltuples), for the progress ETA.
std::string backfill_estimate_sql(const BackfillSpec& b);
// The two statements of a batch with $1..$n (the previous batch's last key) and $n+1..$2n (this
// batch's last key, from the first statement), for plans shown to people.
std::string backfill_batch_text(const BackfillSpec& b);

// Whether the recipe registry (planner/recipe.h) stages findings of rule `id`.
bool has_recipe(std::string_view rule_id);

}  // namespace pgstage::planner
