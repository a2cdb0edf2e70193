#include "executor/runner.h"

#include <chrono>
#include <pqxx/pqxx>
#include <thread>
#include <variant>

#include "analyzer/lower.h"
#include "analyzer/parse.h"
#include "analyzer/rule_api.h"
#include "executor/backfill.h"
#include "executor/fault.h"
#include "planner/planner.h"
#include "planner/sql.h"

namespace pgstage::executor {

namespace {

std::string ms(milliseconds d) { return "'" + std::to_string(d.count()) + "ms'"; }

milliseconds statement_timeout_for(const ExecStep& s, const ExecSettings& st) {
  if (s.backfill) return st.batch_statement_timeout;
  return is_long_running(s) ? st.long_statement_timeout : st.statement_timeout;
}

std::string step_label(const ExecStep& s) { return s.migration + " " + phase_str(s.phase) + " step " + s.id; }

// Errors that mean a resumed non-transactional step had already taken effect before the crash.
bool already_applied(const DbResult& r) {
  return r.sqlstate == "42P07" /* duplicate_table: the index exists */ || r.sqlstate == "42704" /* undefined_object */;
}

}  // namespace

std::string concurrent_index_name(const std::string& sql) {
  SourceFile f = make_source("<step>", sql, Layout::Plain);
  ParsedFile parsed = parse_source(f);
  for (auto& st : parsed.statements) {
    if (!st.tree) continue;
    for (auto& ch : lower(st, f).changes) {
      if (auto* ci = std::get_if<CreateIndex>(&ch.value)) {
        if (!ci->concurrently || ci->name.empty()) return {};
        return ci->table.schema.empty() ? quote_ident(ci->name)
                                        : quote_ident(ci->table.schema) + "." + quote_ident(ci->name);
      }
    }
  }
  return {};
}

PgStepRunner::PgStepRunner(Connection& c, const ExecSettings& settings, Output& out)
    : c_(c), settings_(settings), out_(out), rng_(std::random_device{}()) {}

DbResult PgStepRunner::record_release(const std::string& release) { return executor::record_release(c_, release); }
DbResult PgStepRunner::begin_migration(const MigrationState& m, const std::vector<ExecStep>& steps) {
  return executor::begin_migration(c_, m, steps);
}
DbResult PgStepRunner::set_migration_status(const std::string& name, const std::string& status) {
  return executor::set_migration_status(c_, name, status);
}

DbResult PgStepRunner::try_step(const ExecStep& s) {
  std::string what = "step " + s.id + " of " + s.migration + " failed";
  std::string timeouts = "lock_timeout = " + ms(settings_.lock_timeout) +
                         "; SET statement_timeout = " + ms(statement_timeout_for(s, settings_));
  if (s.transactional) {
    try {
      pqxx::work tx(c_.raw());
      tx.exec("SET LOCAL " + std::string("lock_timeout = ") + ms(settings_.lock_timeout) +
              "; SET LOCAL statement_timeout = " + ms(statement_timeout_for(s, settings_)));
      tx.exec(s.sql);
      mark_step_done(tx, s);
      tx.commit();
      return DbResult::success();
    } catch (...) {
      return current_exception_result(what);
    }
  }
  // CONCURRENTLY and friends cannot run in a transaction block: session-level timeouts, then
  // record the step in its own transaction (a crash in between is handled on resume).
  DbResult r;
  try {
    pqxx::nontransaction tx(c_.raw());
    tx.exec("SET " + timeouts);
    tx.exec(s.sql);
    fault_point("before-record");
  } catch (...) {
    r = current_exception_result(what);
  }
  try {
    pqxx::nontransaction tx(c_.raw());
    tx.exec("RESET lock_timeout; RESET statement_timeout");
  } catch (...) {
    if (r.ok) r = current_exception_result("cannot reset timeouts after step " + s.id);
  }
  if (!r.ok) return r;
  try {
    pqxx::work tx(c_.raw());
    mark_step_done(tx, s);
    tx.commit();
    return DbResult::success();
  } catch (...) {
    return current_exception_result("cannot record step " + s.id + " of " + s.migration);
  }
}

DbResult PgStepRunner::drop_invalid_index(const std::string& index, bool& exists_valid) {
  exists_valid = false;
  try {
    bool invalid = false;
    {
      pqxx::nontransaction tx(c_.raw());
      auto r = tx.exec("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(" + tx.quote(index) + ")");
      if (r.empty()) return DbResult::success();
      exists_valid = r[0][0].as<bool>();
      invalid = !exists_valid;
    }
    if (invalid) {
      out_.line("  dropping INVALID index " + index + " left by a failed concurrent build");
      pqxx::nontransaction tx(c_.raw());
      tx.exec("SET lock_timeout = " + ms(settings_.lock_timeout));
      tx.exec("DROP INDEX CONCURRENTLY IF EXISTS " + index);
      tx.exec("RESET lock_timeout");
    }
    return DbResult::success();
  } catch (...) {
    auto r = current_exception_result("cannot drop the INVALID index " + index);
    try {
      pqxx::nontransaction tx(c_.raw());
      tx.exec("RESET lock_timeout");
    } catch (...) {
    }
    return r;
  }
}

void PgStepRunner::backoff(const ExecStep& s, int attempt, const DbResult& r) {
  long base = settings_.retry_base.count() << std::min(attempt, 20);
  long capped = std::min<long>(base, settings_.retry_cap.count());
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  auto wait = milliseconds(static_cast<long>(static_cast<double>(capped) * jitter(rng_)));
  out_.line("  " + step_label(s) + ": lock not available within lock_timeout " +
            std::to_string(settings_.lock_timeout.count()) + "ms (try " + std::to_string(attempt + 1) + " of " +
            std::to_string(settings_.lock_retries + 1) + "); retrying in " + std::to_string(wait.count()) + "ms" +
            (r.error.empty() ? "" : ""));
  fault_point("in-retry");
  std::this_thread::sleep_for(wait);
}

DbResult PgStepRunner::run_step(const ExecStep& s, bool resumed) {
  std::string index = s.transactional ? std::string() : concurrent_index_name(s.sql);
  if (!s.transactional) {
    if (auto r = set_step_status(c_, s, "running", ""); !r.ok) return r;
  }
  DbResult last;
  for (int attempt = 0; attempt <= settings_.lock_retries; ++attempt) {
    if (!index.empty()) {
      bool valid = false;
      if (auto r = drop_invalid_index(index, valid); !r.ok) return r;
      if (valid && resumed) {
        // The build finished before the crash; only its record is missing.
        try {
          pqxx::work tx(c_.raw());
          mark_step_done(tx, s);
          tx.commit();
        } catch (...) {
          return current_exception_result("cannot record step " + s.id);
        }
        fault_point("after-step");
        return DbResult::success();
      }
    }
    last = try_step(s);
    if (!last.ok && resumed && !s.transactional && already_applied(last)) {
      out_.line("  " + step_label(s) + ": already took effect before the interruption");
      try {
        pqxx::work tx(c_.raw());
        mark_step_done(tx, s);
        tx.commit();
        last = DbResult::success();
      } catch (...) {
        last = current_exception_result("cannot record step " + s.id);
      }
    }
    if (last.ok) {
      fault_point("after-step");
      return last;
    }
    if (last.sqlstate != kLockNotAvailable) break;
    if (attempt == settings_.lock_retries) {
      last.error = step_label(s) + ": gave up after " + std::to_string(settings_.lock_retries + 1) +
                   " tries, each waiting at most lock_timeout " + std::to_string(settings_.lock_timeout.count()) +
                   "ms for a lock another session holds; nothing of this step was applied (" + last.error + ")";
      break;
    }
    backoff(s, attempt, last);
  }
  if (!index.empty()) {
    bool valid = false;
    drop_invalid_index(index, valid);  // leave no INVALID index behind a failed build
  }
  set_step_status(c_, s, "failed", last.error);
  return last;
}

bool PgStepRunner::skip_user_triggers(const ExecStep& s, const planner::BackfillSpec& spec) {
  // The table's own enabled triggers (not pgstage's sync triggers, not constraint triggers).
  std::string names;
  bool allowed = false;
  try {
    pqxx::nontransaction tx(c_.raw());
    names = tx.exec1("SELECT coalesce(string_agg(quote_ident(tgname), ', ' ORDER BY tgname), '') FROM "
                     "pg_catalog.pg_trigger WHERE tgrelid = " +
                     planner::regclass_literal(spec.table) +
                     " AND NOT tgisinternal AND tgenabled <> 'D' AND tgname NOT LIKE 'pgstage\\_%'")[0]
                .as<std::string>();
    if (names.empty()) return false;
    allowed = tx.exec1("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user")[0].as<bool>();
    if (!allowed && tx.exec1("SELECT current_setting('server_version_num')::int")[0].as<int>() >= 150000)
      allowed = tx.exec1("SELECT has_parameter_privilege('session_replication_role', 'SET')")[0].as<bool>();
  } catch (const std::exception&) {
    return false;  // the batches will say what is wrong with the table
  }
  if (allowed)
    out_.line("  " + step_label(s) + ": the triggers of " + quote_name(spec.table) + " (" + names +
              ") do not fire on the batches (session_replication_role = replica): the change as written fires none");
  else
    out_.line("  " + step_label(s) + ": note: the triggers of " + quote_name(spec.table) + " (" + names +
              ") fire for every backfilled row, which the change as written does not do; to skip them, let this "
              "role set session_replication_role (a superuser, or on Postgres 15+: GRANT SET ON PARAMETER "
              "session_replication_role TO <role>)");
  return allowed;
}

DbResult PgStepRunner::run_backfill(const ExecStep& s, const BackfillState* checkpoint) {
  const planner::BackfillSpec& spec = *s.backfill;
  int batch = settings_.batch_size > 0 ? settings_.batch_size : (spec.batch_size > 0 ? spec.batch_size : 1000);
  std::vector<std::string> last_key = checkpoint ? checkpoint->last_key : std::vector<std::string>{};
  long long rows = checkpoint ? checkpoint->rows_done : 0;
  long long start_rows = rows;
  double total = -1;
  try {
    pqxx::nontransaction tx(c_.raw());
    total = tx.exec1(planner::backfill_estimate_sql(spec))[0].as<double>();
  } catch (...) {
  }
  if (checkpoint)
    out_.line("  " + step_label(s) + ": resuming after " + std::to_string(rows) + " rows (" +
              std::to_string(checkpoint->batches) + " batches already committed)");
  std::string label = quote_name(spec.table);
  bool quiet_triggers = !spec.fire_user_triggers && skip_user_triggers(s, spec);
  auto started = std::chrono::steady_clock::now();
  bool done = checkpoint && checkpoint->done;
  while (!done) {
    DbResult r;
    for (int attempt = 0; attempt <= settings_.lock_retries; ++attempt) {
      try {
        pqxx::work tx(c_.raw());
        tx.exec("SET LOCAL lock_timeout = " + ms(settings_.lock_timeout) +
                "; SET LOCAL statement_timeout = " + ms(settings_.batch_statement_timeout));
        if (quiet_triggers) tx.exec("SET LOCAL session_replication_role = replica");
        auto bound = tx.exec(bound_sql_for(spec, last_key, batch));
        if (bound.empty()) {
          save_checkpoint(tx, s, last_key, 0, true);
          mark_step_done(tx, s);
          done = true;
        } else {
          std::vector<std::string> key;
          for (pqxx::row::size_type i = 0; i < bound[0].size(); ++i) key.push_back(bound[0][i].as<std::string>());
          long long n = tx.exec(update_sql_for(spec, last_key, key)).affected_rows();
          save_checkpoint(tx, s, key, n, false);
          tx.commit();
          last_key = key;
          rows += n;
          r = DbResult::success();
          break;
        }
        tx.commit();
        r = DbResult::success();
        break;
      } catch (...) {
        r = current_exception_result("backfill batch of " + s.migration + " step " + s.id + " failed");
      }
      if (r.sqlstate != kLockNotAvailable) break;
      if (attempt == settings_.lock_retries) {
        r.error = step_label(s) + ": gave up on a batch after " + std::to_string(settings_.lock_retries + 1) +
                  " tries; committed batches are kept and the next apply resumes after them (" + r.error + ")";
        break;
      }
      backoff(s, attempt, r);
    }
    if (!r.ok) {
      set_step_status(c_, s, "failed", r.error);
      return r;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    double rate = secs > 0 ? static_cast<double>(rows - start_rows) / secs : 0;
    out_.progress(label, rows, total, rate, done);
    if (done) break;
    fault_point("after-batch");
    if (settings_.batch_pause.count() > 0) std::this_thread::sleep_for(settings_.batch_pause);
  }
  if (checkpoint && checkpoint->done) {
    try {
      pqxx::work tx(c_.raw());
      mark_step_done(tx, s);
      tx.commit();
    } catch (...) {
      return current_exception_result("cannot record step " + s.id);
    }
  }
  fault_point("after-step");
  return DbResult::success();
}

DbResult DryRunStepRunner::record_release(const std::string& release) {
  out_.line("would record release " + release);
  return DbResult::success();
}
DbResult DryRunStepRunner::begin_migration(const MigrationState& m, const std::vector<ExecStep>&) {
  out_.line("would record migration " + m.name + " (" + m.checksum + ")");
  return DbResult::success();
}
DbResult DryRunStepRunner::set_migration_status(const std::string& name, const std::string& status) {
  out_.line("would mark migration " + name + " " + status);
  return DbResult::success();
}
DbResult DryRunStepRunner::run_step(const ExecStep& s, bool) {
  milliseconds st = statement_timeout_for(s, settings_);
  out_.line("-- " + step_label(s) + " (" + s.kind +
            (s.transactional ? ", in a transaction" : ", outside a transaction") + ", lock_timeout " +
            std::to_string(settings_.lock_timeout.count()) + "ms, statement_timeout " + std::to_string(st.count()) +
            "ms)");
  std::string index = s.transactional ? std::string() : concurrent_index_name(s.sql);
  if (!index.empty()) out_.line("-- first: DROP INDEX CONCURRENTLY IF EXISTS " + index + " when it is INVALID");
  out_.line(s.sql + ";");
  return DbResult::success();
}
DbResult DryRunStepRunner::run_backfill(const ExecStep& s, const BackfillState* checkpoint) {
  const planner::BackfillSpec& spec = *s.backfill;
  int batch = settings_.batch_size > 0 ? settings_.batch_size : (spec.batch_size > 0 ? spec.batch_size : 1000);
  out_.line("-- " + step_label(s) + " (backfill in batches of " + std::to_string(batch) +
            ", each in its own transaction with its checkpoint, until no row is left" +
            (checkpoint ? ", resuming after " + std::to_string(checkpoint->rows_done) + " rows" : std::string()) + ")");
  std::vector<std::string> from = checkpoint ? checkpoint->last_key : std::vector<std::string>{};
  out_.line(bound_sql_for(spec, from, batch) + ";  -- the batch's upper key $upper");
  std::vector<std::string> upper(spec.key_columns.size(), "$upper");
  out_.line(update_sql_for(spec, from, upper) + ";");
  return DbResult::success();
}

}  // namespace pgstage::executor
