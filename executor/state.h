// pgstage's own state in the `pgstage` schema of the target database: a schema_version row,
// releases, applied migrations with checksums, their steps with status, backfill checkpoints.
// Created on first use; a newer schema_version than this binary knows is refused.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "executor/exec_step.h"
#include "db/pg.h"

namespace pqxx {
class transaction_base;
}

namespace pgstage::executor {

// The executor speaks the database layer's vocabulary.
using db::Connection;
using db::current_exception_result;
using db::DbResult;
using db::kLockNotAvailable;
using db::kQueryCanceled;

inline constexpr int kStateVersion = 1;

// Migration status: running (steps in progress), applied (ran as written), expanded (expand and
// backfill done, contract pending), contracting (contract in progress), complete (contract done).
struct MigrationState {
  std::string name, checksum, release, status;
  std::string
      finished_at;  // UTC "YYYY-MM-DD HH:MM:SS.US" of its last status change ("expanded": when the expand ended)
};

struct StepState {
  ExecStep step;
  std::string status;  // pending | running | done | failed
};

struct BackfillState {
  std::string migration, step_id;
  std::vector<std::string> last_key;  // empty: nothing done yet
  long long rows_done = 0;
  long long batches = 0;
  bool done = false;
  std::string updated_at;
};

// Timestamps are UTC text ("YYYY-MM-DD HH:MM:SS.US", so they compare as strings); empty: never.
struct ReleaseState {
  std::string name;
  bool deployed = false;
  std::string deployed_at;    // first time it was recorded as deployed
  std::string serving_since;  // last time it was recorded as deployed (deploy, apply, rollback, mark-deployed)
};

struct State {
  bool exists = false;                     // the pgstage schema exists
  std::vector<MigrationState> migrations;  // by name
  std::vector<ReleaseState> releases;
  std::map<std::string, std::vector<StepState>> steps;  // by migration, in run order
  std::vector<BackfillState> backfills;

  const MigrationState* migration(const std::string& name) const;
  const ReleaseState* release(const std::string& name) const;
  const BackfillState* backfill(const std::string& migration, const std::string& step_id) const;
  // The release serving now: the one most recently recorded as deployed (null: none yet).
  const ReleaseState* serving() const;
};

// Contracts follow code, not names: the contract of `m` may run once the release serving now
// was first deployed after m's expand finished (so every release running was built against the
// expanded schema; a release that failed its deploy is never recorded, so it never counts).
// A contract already in progress resumes. Returns "" when it may run, else what it waits for.
std::string contract_wait(const State& s, const MigrationState& m);

// Creates the schema when missing (create=true) and checks its version. Errors name what failed.
DbResult ensure_state_schema(Connection& c, bool create);
// Reads the whole state. A database without the pgstage schema gives State{exists=false}.
DbResult load_state(Connection& c, State& out);

// Writes, each in its own transaction unless it takes one.
DbResult record_release(Connection& c, const std::string& release);
// Sets deployed_at (first time only) and serving_since (every time) to now.
DbResult mark_release_deployed(Connection& c, const std::string& release);
// Inserts the migration (status running) with all its steps (status pending), once.
DbResult begin_migration(Connection& c, const MigrationState& m, const std::vector<ExecStep>& steps);
DbResult set_migration_status(Connection& c, const std::string& name, const std::string& status);
DbResult set_step_status(Connection& c, const ExecStep& s, const std::string& status, const std::string& error);
// `pgstage baseline`: records `migrations` as applied (status applied, no steps) under `release`,
// which is marked deployed, without running them. One transaction, which also creates the state
// schema when missing. When any of them is already recorded it writes nothing, lists them in
// `already` and fails.
DbResult record_baseline(Connection& c, const std::vector<MigrationState>& migrations, const std::string& release,
                         std::vector<std::string>& already);

// Inside a caller's transaction (committed together with the step's own work).
void mark_step_done(pqxx::transaction_base& tx, const ExecStep& s);
void save_checkpoint(pqxx::transaction_base& tx, const ExecStep& s, const std::vector<std::string>& last_key,
                     long long rows, bool done);

}  // namespace pgstage::executor

namespace pgstage::executor {

// Takes the session-level advisory lock that serializes applies on this database, polling until
// `wait_seconds` pass. The error says who holds it.
DbResult acquire_apply_lock(Connection& c, double wait_seconds);

}  // namespace pgstage::executor
