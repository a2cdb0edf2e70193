// Trace: run migration statements on a real Postgres and record what each one did — the locks it
// acquired (pg_locks of its own backend, diffed against locks already held), whether a relation was
// rewritten (pg_class.relfilenode changed), catalog changes and duration — and compare those facts
// with the static prediction (analyzer/lockfacts.h).
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "analyzer/lint.h"
#include "analyzer/lockfacts.h"
#include "analyzer/source.h"

namespace pgstage::trace {

struct TraceInput {
  SourceFile file;
  bool review = true;  // false: history (feeds the catalog; executed only on a throwaway database)
};

struct TraceOptions {
  std::string url;
  // Keep the changes: segments are committed. Otherwise the run ends with ROLLBACK.
  bool commit = false;
  // The database is disposable (--temp-cluster): history files are executed and committed, and
  // each statement runs in its own transaction, committed, so its locks are observed fresh.
  // Without this (and without `commit`) nothing is ever committed and statements that cannot run
  // in a transaction block are skipped.
  bool throwaway = false;
  LintSettings settings;
  const Catalog* base_catalog = nullptr;          // schema read from the database (or a snapshot)
  std::chrono::milliseconds lock_timeout{10000};  // SET lock_timeout for every traced statement
  std::chrono::milliseconds gate_timeout{10000};  // how long the observer holds its gate lock
};

struct ObservedLock {
  std::string relation;  // schema.name ("public." omitted)
  char relkind = 'r';    // pg_class.relkind ('r' table, 'i' index, ...)
  LockMode mode = LockMode::None;
  bool new_relation = false;  // created by the statement itself
};

struct TableMode {
  std::string table;
  LockMode mode = LockMode::None;
  bool already_held = false;  // the transaction held this mode before the statement (not re-acquired)
};

enum class TraceStatus { Confirmed, Mismatch, Skipped, Failed };
std::string_view trace_status_name(TraceStatus s);  // confirmed | mismatch | skipped | failed

struct StatementTrace {
  std::string file;
  Position start;
  std::string sql;
  std::string kind;  // libpg_query node
  LockFacts predicted;
  LockMode predicted_table_mode = LockMode::None;  // strongest predicted over tables (not indexes)
  std::vector<ObservedLock> locks;                 // every newly acquired (relation, mode)
  std::vector<TableMode> tables;                   // strongest new lock per pre-existing table/view/matview
  std::vector<std::string> already_held;           // predicted locks this transaction held before the statement
  bool rewrite = false;
  std::vector<std::string> rewritten;        // relations whose relfilenode changed
  std::vector<std::string> catalog_changes;  // "+ column ...", "- index ..."
  double duration_ms = 0;
  bool in_transaction = true;  // false: ran on its own, observed by a second connection
  TraceStatus status = TraceStatus::Confirmed;
  std::vector<std::string> differences;  // prediction vs Postgres, one line each
  std::vector<std::string> notes;
  std::string error;  // the Postgres error, or why it was skipped
  LockMode traced_mode() const;
};

struct TraceResult {
  std::vector<StatementTrace> statements;
  bool committed = false;
  std::string error;  // what stopped the run (never contains the password)
  int count(TraceStatus s) const;
  bool ok() const { return error.empty() && count(TraceStatus::Mismatch) == 0 && count(TraceStatus::Failed) == 0; }
};

// Runs the inputs in order. Never throws; connection and SQL errors land in `error` / the
// statement's `error`, and the transaction is rolled back.
TraceResult trace(const std::vector<TraceInput>& inputs, const TraceOptions& opts);

// Compares a statement's traced facts with its prediction: fills `differences` and `status`.
// `held_before` holds "schema.name|mode" pairs the transaction held before the statement;
// `non_tables` the schema.name of indexes and sequences, whose predicted locks are not compared.
void compare(StatementTrace& t, const std::vector<std::string>& held_before, const std::set<std::string>& non_tables);

}  // namespace pgstage::trace
