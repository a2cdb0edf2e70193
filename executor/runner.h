// How apply changes the database: every write goes through a StepRunner. PgStepRunner runs steps
// against Postgres (lock_timeout + retry on 55P03, CONCURRENTLY outside transactions with
// INVALID-index cleanup, batched backfill with checkpoints). DryRunStepRunner only prints what
// would run. apply() does not know which one it has.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "executor/exec_step.h"
#include "db/pg.h"
#include "executor/progress.h"
#include "executor/settings.h"
#include "executor/state.h"

namespace pgstage::executor {

class StepRunner {
 public:
  virtual ~StepRunner() = default;
  virtual DbResult record_release(const std::string& release) = 0;
  // Records the migration (status running) and all its steps (pending), once.
  virtual DbResult begin_migration(const MigrationState& m, const std::vector<ExecStep>& steps) = 0;
  virtual DbResult set_migration_status(const std::string& name, const std::string& status) = 0;
  // Runs one non-backfill step and records it done. `resumed`: an earlier run started this
  // non-transactional step and did not record its end.
  virtual DbResult run_step(const ExecStep& s, bool resumed) = 0;
  // Runs a backfill step from `checkpoint` (null: from the start) and records it done.
  virtual DbResult run_backfill(const ExecStep& s, const BackfillState* checkpoint) = 0;
};

class PgStepRunner : public StepRunner {
 public:
  PgStepRunner(Connection& c, const ExecSettings& settings, Output& out);
  DbResult record_release(const std::string& release) override;
  DbResult begin_migration(const MigrationState& m, const std::vector<ExecStep>& steps) override;
  DbResult set_migration_status(const std::string& name, const std::string& status) override;
  DbResult run_step(const ExecStep& s, bool resumed) override;
  DbResult run_backfill(const ExecStep& s, const BackfillState* checkpoint) override;

 private:
  DbResult try_step(const ExecStep& s);
  // Whether the batches of recipe backfill `spec` run with session_replication_role = replica, so
  // the table's own triggers do not fire (the role may set it and the table has some); says which.
  bool skip_user_triggers(const ExecStep& s, const planner::BackfillSpec& spec);
  DbResult drop_invalid_index(const std::string& index, bool& exists_valid);
  void backoff(const ExecStep& s, int attempt, const DbResult& r);
  Connection& c_;
  ExecSettings settings_;
  Output& out_;
  std::mt19937 rng_;
};

class DryRunStepRunner : public StepRunner {
 public:
  DryRunStepRunner(const ExecSettings& settings, Output& out) : settings_(settings), out_(out) {}
  DbResult record_release(const std::string& release) override;
  DbResult begin_migration(const MigrationState& m, const std::vector<ExecStep>& steps) override;
  DbResult set_migration_status(const std::string& name, const std::string& status) override;
  DbResult run_step(const ExecStep& s, bool resumed) override;
  DbResult run_backfill(const ExecStep& s, const BackfillState* checkpoint) override;

 private:
  ExecSettings settings_;
  Output& out_;
};

// The index a CREATE INDEX CONCURRENTLY statement builds, as a quoted (schema-qualified when the
// table is) name; empty when the SQL is not one or leaves the name to Postgres.
std::string concurrent_index_name(const std::string& sql);

}  // namespace pgstage::executor
