// The planner: turns a migration (with the schema before it) into a staged Plan. No database.
#pragma once

#include <string>

#include "analyzer/catalog.h"
#include "analyzer/lint.h"
#include "analyzer/source.h"
#include "planner/plan.h"

namespace pgstage::planner {

struct PlanOptions {
  LintSettings settings;   // pg_version etc.
  int batch_size = 1000;   // default backfill batch size
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

// Plans `file` against `catalog` (the schema before it; updated to the schema after it).
PlanResult make_plan(const SourceFile& file, Catalog& catalog, const PlanOptions& opts);

// plan.json (de)serialization. from_json refuses an unknown `version` with a clear error.
std::string to_json(const Plan& p);
bool from_json(const std::string& text, Plan& out, std::string& err);

// Human-readable plan: phases, which releases run during each, every step with why and its SQL.
std::string render_text(const Plan& p);
// The SQL of one phase as a script (backfill steps appear as commented batch templates), for --out.
std::string phase_sql(const Plan& p, Phase phase);
// The batch statement of a backfill; `$1` is the last key of the previous batch (omitted on the first).
std::string backfill_batch_sql(const BackfillSpec& b, bool first_batch);

// Whether the planner has a recipe for findings of rule `id` (the rules not listed stay unplannable).
bool has_recipe(std::string_view rule_id);

}  // namespace pgstage::planner
