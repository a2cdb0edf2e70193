// `plan --verify` and apply's verification: proves a plan on a throwaway Postgres before it runs.
// Two databases get the schema before the migration (its history replayed as written, or the SQL of a
// live database's or a snapshot's schema: `start_sql`) and the same
// sample rows; one runs the migration as written, the other runs the plan through the real executor
// (executor::apply_migrations: expand, backfill, mark-deployed, contract). Their normalised schemas
// and the rows of every user table are compared; any difference refuses the plan.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analyzer/lint.h"
#include "analyzer/source.h"
#include "planner/plan.h"

namespace pgstage::verify {

struct VerifyRequest {
  std::vector<MigrationEntry> history;          // the migrations before the file, in run order
  std::string start_sql;     // instead of the history: the schema as SQL (db/schema_sql.h)
  std::string start_source;  // where start_sql comes from, for messages
  std::string migration_path;                   // the file the plan stages
  planner::Plan plan;                           // the plan to prove (run as given, not planned again)
  std::string shadow_url;                       // a server to create scratch databases on; "" = temporary cluster
  LintOptions lint;                             // the settings the plan was made with (pg_version, layout, ...)
  std::vector<const Rule*> rules;               // the rules the executor decides "unsafe" with
  int sample_rows = 5;                          // rows inserted into every table the migration touches
  std::function<void(const std::string&)> log;  // progress lines (may be empty)
};

enum class Outcome {
  Verified,    // same schema and rows
  Different,   // the plan ends with another schema or other rows
  PlanFailed,  // the plan failed in the executor
  Unverified,  // the migration as written fails on the sample database: nothing to compare with
  Setup,       // no throwaway database (no Postgres binaries, shadow unreachable) or the history fails
};
std::string_view outcome_name(Outcome o);

struct VerifyReport {
  Outcome outcome = Outcome::Setup;
  std::string error;                     // Setup / PlanFailed / Unverified: what failed
  std::string shadow;                    // "temporary cluster" or the redacted shadow URL
  std::vector<std::string> tables;       // tables that received sample rows
  long sample_rows = 0;                  // rows inserted in total
  std::vector<std::string> differences;  // in the user's terms, as written vs the plan
  std::vector<std::string> notes;        // what was not proven (a table without sample rows, ...)
  std::vector<std::string> compared;     // the kinds of objects compared
  size_t objects = 0;                    // entries compared (objects + tables' row sets)
  double seconds = 0;
  bool verified() const { return outcome == Outcome::Verified; }
};

VerifyReport verify_plan(const VerifyRequest& req);

// The summary plan.json and the text output carry.
planner::Verification summary(const VerifyReport& r);
// Lines for a terminal: what was verified, or every difference.
std::string render_report(const VerifyReport& r);

// A normalised dump of the user schema of `url` (schemas other than pg_catalog, information_schema,
// pg_toast and pgstage's own state schema `pgstage`): key (what, in the user's terms) -> definition.
// Columns are keyed by name (their position is not compared), indexes by their definition with the
// index name removed (a name the plan had to choose is a note, not a difference). Rows of every
// table are included (`rows of <table>`, sorted jsonb text, column order irrelevant).
struct SchemaDump {
  std::vector<std::pair<std::string, std::string>> entries;      // sorted by key
  std::vector<std::pair<std::string, std::string>> index_names;  // normalised definition -> name
};
bool dump_schema(const std::string& url, SchemaDump& out, std::string& err);
// Differences between two dumps (a = as written, b = the plan), and notes (index names). The rows
// of `count_only` tables (as regclass text) are compared by number only: the migration writes them
// with values that differ on every run (gen_random_uuid(), now(), ...).
void compare_dumps(const SchemaDump& a, const SchemaDump& b, std::vector<std::string>& differences,
                   std::vector<std::string>& notes, const std::vector<std::string>& count_only = {});

}  // namespace pgstage::verify
