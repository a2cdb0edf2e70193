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
// The batch statement of a backfill: `$1`..`$n` are the key columns of the last row of the previous
// batch (the largest key it returned); the first batch has no key condition. Returns the keys updated.
std::string backfill_batch_sql(const BackfillSpec& b, bool first_batch);

// Whether the recipe registry (planner/recipe.h) stages findings of rule `id`.
bool has_recipe(std::string_view rule_id);

}  // namespace pgstage::planner
