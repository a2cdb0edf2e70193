#include "executor/state.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "executor/fault.h"

namespace pgstage::executor {

namespace {

// Advisory lock key: "pgst" as an int. Two-key form (classid, objid) avoids clashing with apps
// that use the one-key form.
constexpr int kLockClass = 0x70677374;
constexpr int kLockObject = 1;

const char* kCreateSchema = R"SQL(
CREATE SCHEMA IF NOT EXISTS pgstage;
CREATE TABLE IF NOT EXISTS pgstage.schema_version (version int NOT NULL);
CREATE TABLE IF NOT EXISTS pgstage.releases (
  name text PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  deployed_at timestamptz,
  serving_since timestamptz
);
CREATE TABLE IF NOT EXISTS pgstage.migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  release text NOT NULL,
  status text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE TABLE IF NOT EXISTS pgstage.steps (
  migration text NOT NULL REFERENCES pgstage.migrations (name),
  step_id text NOT NULL,
  ord int NOT NULL,
  phase text NOT NULL,
  kind text NOT NULL,
  sql text NOT NULL,
  transactional boolean NOT NULL,
  spec jsonb NOT NULL,
  status text NOT NULL,
  attempts int NOT NULL DEFAULT 0,
  last_error text,
  finished_at timestamptz,
  PRIMARY KEY (migration, step_id)
);
CREATE TABLE IF NOT EXISTS pgstage.backfills (
  migration text NOT NULL,
  step_id text NOT NULL,
  last_key jsonb NOT NULL,
  rows_done bigint NOT NULL DEFAULT 0,
  batches bigint NOT NULL DEFAULT 0,
  done boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration, step_id)
);
)SQL";

std::string str(const pqxx::field& f) { return f.is_null() ? std::string() : f.as<std::string>(); }

// A timestamptz column as UTC text that sorts as time does.
std::string utc(const std::string& col) {
  return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')";
}

// Added after schema_version 1 shipped (older pgstage versions ignore it).
const char* kAddServingSince = "ALTER TABLE pgstage.releases ADD COLUMN IF NOT EXISTS serving_since timestamptz";

}  // namespace

const MigrationState* State::migration(const std::string& name) const {
  for (auto& m : migrations)
    if (m.name == name) return &m;
  return nullptr;
}
const ReleaseState* State::release(const std::string& name) const {
  for (auto& r : releases)
    if (r.name == name) return &r;
  return nullptr;
}
const ReleaseState* State::serving() const {
  const ReleaseState* best = nullptr;
  for (auto& r : releases) {
    if (!r.deployed) continue;
    const std::string& t = r.serving_since.empty() ? r.deployed_at : r.serving_since;
    if (!best || t > (best->serving_since.empty() ? best->deployed_at : best->serving_since)) best = &r;
  }
  return best;
}

std::string contract_wait(const State& s, const MigrationState& m) {
  if (m.status == "contracting") return "";
  const ReleaseState* sv = s.serving();
  if (sv && sv->deployed_at > m.finished_at) return "";
  return "contract waits until a release deployed after its expand (applied with release " + m.release +
         ") is the only one running; " +
         (sv ? "serving now: " + sv->name + ", deployed before the expand"
             : std::string("no release is deployed yet")) +
         " (apply with [services] records the release it deploys; otherwise run pgstage mark-deployed RELEASE)";
}

const BackfillState* State::backfill(const std::string& migration, const std::string& step_id) const {
  for (auto& b : backfills)
    if (b.migration == migration && b.step_id == step_id) return &b;
  return nullptr;
}

DbResult ensure_state_schema(Connection& c, bool create) {
  try {
    pqxx::work tx(c.raw());
    // Serializes schema creation between apply and mark-deployed (which does not take the apply lock).
    if (create) tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockClass) + ", 2)");
    bool exists = tx.exec1("SELECT to_regclass('pgstage.schema_version') IS NOT NULL")[0].as<bool>();
    if (!exists) {
      if (!create) return DbResult::success();
      tx.exec(kCreateSchema);
      tx.exec("INSERT INTO pgstage.schema_version (version) VALUES (" + std::to_string(kStateVersion) + ")");
      tx.commit();
      return DbResult::success();
    }
    auto r = tx.exec("SELECT max(version) FROM pgstage.schema_version");
    int v = r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int>();
    if (v > kStateVersion)
      return DbResult::failure("the pgstage schema in this database has version " + std::to_string(v) +
                               ", newer than this pgstage understands (" + std::to_string(kStateVersion) +
                               "); upgrade pgstage");
    if (v < 1) return DbResult::failure("the pgstage schema in this database has no schema_version row");
    if (create && tx.exec1("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'pgstage' AND "
                           "table_name = 'releases' AND column_name = 'serving_since'")[0]
                          .as<int>() == 0)
      tx.exec(kAddServingSince);
    tx.commit();
    return DbResult::success();
  } catch (...) {
    return current_exception_result("cannot prepare the pgstage state schema");
  }
}

DbResult load_state(Connection& c, State& out) {
  out = State{};
  try {
    pqxx::read_transaction tx(c.raw());
    if (!tx.exec1("SELECT to_regclass('pgstage.schema_version') IS NOT NULL")[0].as<bool>()) return DbResult::success();
    out.exists = true;
    for (auto row : tx.exec("SELECT name, checksum, release, status, " + utc("finished_at") +
                            " FROM pgstage.migrations ORDER BY name"))
      out.migrations.push_back({str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4])});
    // serving_since through to_jsonb: a state written before the column existed reads as null.
    for (auto row : tx.exec("SELECT name, deployed_at IS NOT NULL, " + utc("deployed_at") + ", " +
                            utc("(to_jsonb(r)->>'serving_since')::timestamptz") +
                            " FROM pgstage.releases r ORDER BY started_at, name"))
      out.releases.push_back({str(row[0]), row[1].as<bool>(), str(row[2]), str(row[3])});
    for (auto row : tx.exec("SELECT migration, step_id, ord, phase, kind, sql, transactional, spec::text, status "
                            "FROM pgstage.steps ORDER BY migration, ord")) {
      StepState s;
      s.step.migration = str(row[0]);
      s.step.id = str(row[1]);
      s.step.ord = row[2].as<int>();
      s.step.phase = phase_from_str(str(row[3]));
      s.step.kind = str(row[4]);
      s.step.sql = str(row[5]);
      s.step.transactional = row[6].as<bool>();
      s.step.backfill = backfill_from_json(str(row[7]));
      s.status = str(row[8]);
      out.steps[s.step.migration].push_back(std::move(s));
    }
    for (auto row :
         tx.exec("SELECT migration, step_id, last_key::text, rows_done, batches, done, "
                 "to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS') FROM pgstage.backfills ORDER BY migration, step_id")) {
      BackfillState b;
      b.migration = str(row[0]);
      b.step_id = str(row[1]);
      auto j = nlohmann::json::parse(str(row[2]), nullptr, false);
      if (j.is_array())
        for (auto& k : j) b.last_key.push_back(k.get<std::string>());
      b.rows_done = row[3].as<long long>();
      b.batches = row[4].as<long long>();
      b.done = row[5].as<bool>();
      b.updated_at = str(row[6]);
      out.backfills.push_back(std::move(b));
    }
    return DbResult::success();
  } catch (...) {
    return current_exception_result("cannot read the pgstage state");
  }
}

namespace {
DbResult exec_one(Connection& c, const std::string& what, const std::function<void(pqxx::work&)>& body) {
  try {
    pqxx::work tx(c.raw());
    body(tx);
    tx.commit();
    return DbResult::success();
  } catch (...) {
    return current_exception_result(what);
  }
}
}  // namespace

DbResult record_release(Connection& c, const std::string& release) {
  return exec_one(c, "cannot record release " + release, [&](pqxx::work& tx) {
    tx.exec("INSERT INTO pgstage.releases (name) VALUES (" + tx.quote(release) + ") ON CONFLICT (name) DO NOTHING");
  });
}

DbResult mark_release_deployed(Connection& c, const std::string& release) {
  return exec_one(c, "cannot mark release " + release + " deployed", [&](pqxx::work& tx) {
    tx.exec("INSERT INTO pgstage.releases (name, deployed_at, serving_since) VALUES (" + tx.quote(release) +
            ", clock_timestamp(), clock_timestamp()) ON CONFLICT (name) DO UPDATE SET deployed_at = "
            "coalesce(pgstage.releases.deployed_at, clock_timestamp()), serving_since = clock_timestamp()");
  });
}

DbResult begin_migration(Connection& c, const MigrationState& m, const std::vector<ExecStep>& steps) {
  return exec_one(c, "cannot record migration " + m.name, [&](pqxx::work& tx) {
    auto r =
        tx.exec("INSERT INTO pgstage.migrations (name, checksum, release, status) VALUES (" + tx.quote(m.name) + ", " +
                tx.quote(m.checksum) + ", " + tx.quote(m.release) + ", 'running') ON CONFLICT (name) DO NOTHING");
    if (r.affected_rows() == 0) return;  // resumed: steps already recorded
    for (auto& s : steps) {
      tx.exec(
          "INSERT INTO pgstage.steps (migration, step_id, ord, phase, kind, sql, transactional, spec, status) VALUES "
          "(" +
          tx.quote(s.migration) + ", " + tx.quote(s.id) + ", " + std::to_string(s.ord) + ", " +
          tx.quote(phase_str(s.phase)) + ", " + tx.quote(s.kind) + ", " + tx.quote(s.sql) + ", " +
          (s.transactional ? "true" : "false") + ", " + tx.quote(backfill_to_json(s.backfill)) + "::jsonb, 'pending')");
    }
  });
}

DbResult set_migration_status(Connection& c, const std::string& name, const std::string& status) {
  return exec_one(c, "cannot record migration " + name + " as " + status, [&](pqxx::work& tx) {
    tx.exec("UPDATE pgstage.migrations SET status = " + tx.quote(status) +
            ", finished_at = now() WHERE name = " + tx.quote(name));
  });
}

DbResult set_step_status(Connection& c, const ExecStep& s, const std::string& status, const std::string& error) {
  return exec_one(c, "cannot record step " + s.id + " of " + s.migration, [&](pqxx::work& tx) {
    tx.exec("UPDATE pgstage.steps SET status = " + tx.quote(status) + ", attempts = attempts + " +
            (status == "running" ? "1" : "0") + ", last_error = " + (error.empty() ? "NULL" : tx.quote(error)) +
            " WHERE migration = " + tx.quote(s.migration) + " AND step_id = " + tx.quote(s.id));
  });
}

DbResult record_baseline(Connection& c, const std::vector<MigrationState>& migrations, const std::string& release,
                         std::vector<std::string>& already) {
  already.clear();
  try {
    pqxx::work tx(c.raw());
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockClass) + ", 2)");  // as ensure_state_schema
    if (!tx.exec1("SELECT to_regclass('pgstage.schema_version') IS NOT NULL")[0].as<bool>()) {
      tx.exec(kCreateSchema);
      tx.exec("INSERT INTO pgstage.schema_version (version) VALUES (" + std::to_string(kStateVersion) + ")");
    } else {
      auto r = tx.exec("SELECT max(version) FROM pgstage.schema_version");
      int v = r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int>();
      if (v != kStateVersion)
        return DbResult::failure("the pgstage schema in this database has version " + std::to_string(v) +
                                 "; this pgstage writes version " + std::to_string(kStateVersion));
    }
    for (auto& m : migrations)
      if (!tx.exec("SELECT 1 FROM pgstage.migrations WHERE name = " + tx.quote(m.name)).empty())
        already.push_back(m.name);
    if (!already.empty())
      return DbResult::failure(std::to_string(already.size()) +
                               " of these migrations are already recorded; nothing was written");
    tx.exec("INSERT INTO pgstage.releases (name, deployed_at) VALUES (" + tx.quote(release) +
            ", now()) ON CONFLICT (name) DO UPDATE SET deployed_at = coalesce(pgstage.releases.deployed_at, now())");
    for (auto& m : migrations) {
      tx.exec("INSERT INTO pgstage.migrations (name, checksum, release, status, finished_at) VALUES (" +
              tx.quote(m.name) + ", " + tx.quote(m.checksum) + ", " + tx.quote(release) + ", 'applied', now())");
      fault_point("baseline-record");
    }
    tx.commit();
    return DbResult::success();
  } catch (...) {
    return current_exception_result("cannot record the baseline");
  }
}

void mark_step_done(pqxx::transaction_base& tx, const ExecStep& s) {
  tx.exec("UPDATE pgstage.steps SET status = 'done', last_error = NULL, finished_at = now() WHERE migration = " +
          tx.quote(s.migration) + " AND step_id = " + tx.quote(s.id));
}

void save_checkpoint(pqxx::transaction_base& tx, const ExecStep& s, const std::vector<std::string>& last_key,
                     long long rows, bool done) {
  std::string key = nlohmann::json(last_key).dump();
  tx.exec("INSERT INTO pgstage.backfills (migration, step_id, last_key, rows_done, batches, done) VALUES (" +
          tx.quote(s.migration) + ", " + tx.quote(s.id) + ", " + tx.quote(key) + "::jsonb, " + std::to_string(rows) +
          ", " + (done ? "0" : "1") + ", " + (done ? "true" : "false") +
          ") ON CONFLICT (migration, step_id) DO UPDATE SET last_key = CASE WHEN excluded.done THEN "
          "pgstage.backfills.last_key ELSE excluded.last_key END, rows_done = pgstage.backfills.rows_done + "
          "excluded.rows_done, batches = pgstage.backfills.batches + excluded.batches, done = excluded.done, "
          "updated_at = now()");
}

DbResult acquire_apply_lock(Connection& c, double wait_seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(wait_seconds * 1000));
  try {
    for (;;) {
      {
        pqxx::nontransaction tx(c.raw());
        if (tx.exec1("SELECT pg_try_advisory_lock(" + std::to_string(kLockClass) + ", " + std::to_string(kLockObject) +
                     ")")[0]
                .as<bool>())
          return DbResult::success();
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        pqxx::nontransaction tx(c.raw());
        auto r =
            tx.exec("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = " + std::to_string(kLockClass) +
                    " AND objid = " + std::to_string(kLockObject) + " AND granted LIMIT 1");
        std::string holder = r.empty() ? "another session" : "backend pid " + r[0][0].as<std::string>();
        return DbResult::failure("another pgstage apply is running on this database (" + holder +
                                 " holds the pgstage lock); gave up after waiting " +
                                 std::to_string(static_cast<int>(wait_seconds)) + "s (--wait-lock)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  } catch (...) {
    return current_exception_result("cannot take the pgstage apply lock");
  }
}

}  // namespace pgstage::executor
