// `pgstage apply` as a library: runs the pending migrations of a directory against Postgres.
// Under an advisory lock, it first runs the contract phases that earlier releases left pending
// (only once the release that ran their expand is marked deployed), then each pending migration
// in order: as written when it has no unsafe finding, otherwise its plan's expand and backfill
// (the contract is recorded as pending). An unsafe finding without a recipe refuses the whole run
// before anything runs. A crashed run resumes where it stopped.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analyzer/lint.h"
#include "executor/settings.h"
#include "executor/state.h"
#include "planner/planner.h"

namespace pgstage::executor {

using PlanFn = std::function<planner::PlanResult(const FileAnalysis&, const planner::PlanOptions&)>;

struct MigrationFile;
// A plan to prove before anything runs (verify/ does it on a throwaway database; the executor does
// not know how). `before`: every migration of the directory before it, in run order.
struct VerifyTarget {
  const MigrationFile* migration = nullptr;
  std::vector<const MigrationFile*> before;
  const planner::Plan* plan = nullptr;
};
// Returns "" when the plan is proven, else why not (the run is refused before anything runs).
using VerifyFn = std::function<std::string(const VerifyTarget&)>;
// Asked before a pending contract starts (not on a dry run, not when resuming one already started),
// with the SQL of its steps: "" lets it run; anything else refuses it (the run stops, exit 1, nothing
// of the contract ran) and says why. `pgstage apply` passes the pg_stat_statements gate (issue #17).
using ContractGateFn = std::function<std::string(const std::string& migration, const std::vector<std::string>& sql)>;

struct ApplyRequest {
  std::string migrations_dir;
  std::string database_url;
  std::string release;            // the application release this apply prepares the schema for
  bool dry_run = false;           // print what would run; change nothing
  double wait_lock_seconds = 60;  // how long to wait for another apply to finish
  ExecSettings settings;
  LintOptions lint;                             // pg_version, layout, exclude (runner is forced to pgstage)
  std::vector<const Rule*> rules;               // the rules that decide what is unsafe
  PlanFn plan;                                  // planner::make_plan (tests may pass their own)
  // Verification: run every file through `plan`, also one lint finds nothing unsafe in (the plan
  // `pgstage plan` prints stages warnings too: an unbounded UPDATE, a foreign key on a new column).
  bool plan_every_file = false;
  // Stage a file whose findings are only warnings when one of them has a recipe (an unbounded
  // UPDATE becomes a batched backfill); by default such a file runs as written.
  bool stage_warnings = false;
  VerifyFn verify;                              // null: plans are not verified (not called on a dry run)
  ContractGateFn contract_gate;                 // null: contracts run once their wait is over
  std::function<void(const std::string&)> out;  // one line at a time, password redacted
  bool tty = false;                             // progress bar instead of log lines
};

struct ApplyResult {
  int exit_code = 0;                    // 0 done, 1 failed safely or refused, 2 usage/input error
  std::string error;                    // why it stopped (redacted)
  std::vector<std::string> ran;         // migrations run as written
  std::vector<std::string> expanded;    // expand+backfill done, contract pending
  std::vector<std::string> contracted;  // contract phases run
  std::vector<std::string> waiting;     // "M: contract waits for release R (pgstage mark-deployed R)"
  std::vector<std::string> refused;     // unsafe findings without a recipe, file:line:column
};

ApplyResult apply_migrations(const ApplyRequest& req);

// A migration as apply (and baseline) records it: its name in the state table (the path relative to
// the migrations directory), the file, and the checksum of the file's bytes.
struct MigrationFile {
  std::string name;  // path relative to the migrations directory
  Layout layout = Layout::Auto;
  SourceFile file;
  std::string checksum;
};
// The migrations of `dir` in run order. False with `err` (naming the path) when the directory or a
// file cannot be read, or when it holds no migrations (a usage error: exit 2).
bool load_migration_files(const std::string& dir, Layout layout, const std::vector<std::string>& exclude,
                          std::vector<MigrationFile>& out, std::string& err);

// Records `release` as fully deployed (no container of an older release runs).
DbResult mark_deployed(const std::string& url, const std::string& release);

struct PendingContract {
  std::string migration, release;  // release: the one whose apply ran the expand
  bool ready = false;              // contract_wait() is empty: the next apply runs it
  std::string waits_for;           // contract_wait(): what it waits for, when not ready
};

// `pgstage rollback --to RELEASE`: whether RELEASE may run against the schema as it is now.
// Refused (in `blockers`, one per migration, naming the contract's statements) when a contract
// ran that the release predates: the migration's expand finished after RELEASE was first
// deployed, so its code may still need what the contract removed.
struct RollbackCheck {
  bool known = false;                 // RELEASE was recorded as deployed in this database
  std::string serving;                // the release serving now
  std::vector<std::string> blockers;  // "002_x.sql: its contract ran `ALTER TABLE ...`"
};
DbResult check_rollback(const std::string& url, const std::string& release, RollbackCheck& out);
struct BackfillProgress {
  BackfillState state;
  std::string table;
  double estimated_rows = -1;
};
struct StatusReport {
  State state;
  std::vector<PendingContract> contracts;
  std::vector<BackfillProgress> backfills;  // not finished
};
DbResult read_status(const std::string& url, StatusReport& out);

}  // namespace pgstage::executor
