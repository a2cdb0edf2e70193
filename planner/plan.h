// The Plan: a migration staged into phases that span deploys. Computed by the planner with no
// database; run by the executor (executor/). Serialized as plan.json (versioned).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/change.h"
#include "analyzer/lockfacts.h"

namespace pgstage::planner {

inline constexpr int kPlanVersion = 1;

// expand: before release N is deployed (additive only; old and new code both work after it).
// backfill: online, batched, resumable; runs after expand, before release N is deployed.
// contract: before release N+1 is deployed, once no container older than N runs.
enum class Phase { Expand, Backfill, Contract };
std::string_view phase_name(Phase p);
std::optional<Phase> parse_phase(std::string_view s);

// A batched update by primary key (keyset pagination), each batch its own short transaction:
//   UPDATE table SET <set_sql> WHERE (<key>) IN (SELECT <key> FROM table WHERE <key> > $last
//     AND (<predicate>) ORDER BY <key> LIMIT <batch_size>)
struct BackfillSpec {
  QualifiedName table;
  std::vector<std::string> key_columns;  // primary key, in order
  std::string set_sql;                   // assignments, identifiers quoted: "full_name" = "name"
  std::string predicate;                 // rows that still need the update: "full_name" IS NULL
  int batch_size = 1000;
  std::string from_sql;                  // UPDATE ... FROM: the other tables joined ("" when none)
  // Whether the table's own triggers fire on the batches: yes for an UPDATE the migration writes
  // (as written, it fires them); no for a recipe's copy into its new column (ALTER TABLE as written
  // fires none: an updated_at or audit trigger must not touch every row). The executor skips them
  // with session_replication_role = replica when the role may set it, and says so when it may not.
  bool fire_user_triggers = false;
};

struct Step {
  std::string id;  // deterministic and unique in the plan, e.g. "expand-2-add-column"
  Phase phase = Phase::Expand;
  std::string kind;           // passthrough, add-column, create-trigger, create-index-concurrently,
                              // add-constraint-not-valid, validate-constraint, set-not-null, drop-column,
                              // drop-trigger, create-view, drop-view, backfill, ...
  std::string description;    // what the step does and why, for reviewers
  std::string sql;            // empty for backfill steps (see `backfill`)
  bool transactional = true;  // false: must run outside a transaction block (CONCURRENTLY)
  std::optional<BackfillSpec> backfill;
  std::vector<QualifiedName> tables;
  LockFacts lock;             // static lock facts of `sql`
  std::string rule;           // the finding that led to this step ("" for passthrough)
  int source_statement = -1;  // index of the statement in the source file
};

struct PhaseInfo {
  Phase phase = Phase::Expand;
  std::string runs;              // when it runs: "before the deploy of the release that uses the new schema"
  std::string releases_running;  // which application releases may run during it: "old and new"
};

// What `plan --verify` (or apply's verification) proved on a throwaway database: the migration as
// written and the plan through the executor, from the same schema and sample rows, compared.
struct Verification {
  std::string outcome;              // verified, different, plan-failed, unverified, setup
  std::string shadow;               // "temporary cluster" or the redacted --shadow-url
  std::vector<std::string> tables;  // tables that received sample rows
  long sample_rows = 0;
  std::vector<std::string> compared;     // kinds of objects compared
  size_t objects = 0;                    // entries compared
  std::vector<std::string> differences;  // as written vs the plan, in the user's terms
  std::vector<std::string> notes;        // what was not proven
  std::string error;
};

struct Plan {
  int version = kPlanVersion;
  std::string source_path;
  std::string source_checksum;  // "sha256:<hex>" of the source file's bytes
  std::vector<PhaseInfo> phases;
  std::vector<Step> steps;                   // in run order; phases are contiguous: expand, backfill, contract
  std::optional<Verification> verification;  // set by `plan --verify`

  bool has_contract() const;
  std::vector<const Step*> steps_of(Phase p) const;
};

}  // namespace pgstage::planner
