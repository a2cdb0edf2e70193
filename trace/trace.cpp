#include "trace/trace.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "analyzer/lower.h"
#include "db/redact.h"

namespace pgstage::trace {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kUserSchemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp_%' "
    "AND n.nspname NOT LIKE 'pg_toast_temp_%'";

struct Relation {
  std::string name;  // schema.name
  char relkind = 'r';
  long long relfilenode = 0;
};
using Relations = std::map<long long, Relation>;              // by oid
using LockSet = std::set<std::pair<long long, std::string>>;  // (oid, pg mode name)

std::string display(const std::string& full) { return full.rfind("public.", 0) == 0 ? full.substr(7) : full; }
bool is_table_kind(char k) { return k == 'r' || k == 'p' || k == 'm' || k == 'v' || k == 'f'; }

Relations read_relations(pqxx::transaction_base& tx) {
  Relations out;
  auto r = tx.exec(std::string("SELECT c.oid::int8, n.nspname || '.' || c.relname, c.relkind, c.relfilenode::int8 "
                               "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ") +
                   kUserSchemas);
  for (const auto& row : r)
    out[row[0].as<long long>()] =
        Relation{row[1].as<std::string>(), row[2].as<std::string>()[0], row[3].as<long long>()};
  return out;
}

LockSet read_own_locks(pqxx::transaction_base& tx) {
  LockSet out;
  auto r = tx.exec(
      "SELECT relation::int8, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' "
      "AND relation IS NOT NULL");
  for (const auto& row : r) out.emplace(row[0].as<long long>(), row[1].as<std::string>());
  return out;
}

std::set<std::string> read_catalog(pqxx::transaction_base& tx) {
  std::string rel = "n.nspname || '.' || c.relname";
  std::string q =
      "SELECT 'relation ' || " + rel +
      " || ' (' || c.relkind::text || CASE c.relpersistence WHEN 'u' THEN ', unlogged' ELSE '' END"
      " || coalesce(', ' || array_to_string(c.reloptions, ','), '') || ')' FROM pg_class c JOIN pg_namespace n ON "
      "n.oid = c.relnamespace WHERE c.relkind IN ('r','p','v','m','f','i','I','S') AND " +
      std::string(kUserSchemas) + " UNION ALL SELECT 'column ' || " + rel +
      " || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
      " || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, "
      "d.adrelid), '')"
      " || CASE WHEN a.attidentity <> '' THEN ' identity' ELSE '' END"
      " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
      " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
      " WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','v','m','f') AND " +
      kUserSchemas + " UNION ALL SELECT 'constraint ' || " + rel +
      " || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)"
      " || CASE WHEN k.convalidated THEN '' ELSE ' (not validated)' END FROM pg_constraint k JOIN pg_class c ON"
      " c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " +
      kUserSchemas +
      " UNION ALL SELECT 'index ' || pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' (invalid)' "
      "END"
      " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " +
      kUserSchemas + " UNION ALL SELECT 'trigger ' || " + rel +
      " || '.' || t.tgname || ' (enabled ' || t.tgenabled::text || ')' FROM pg_trigger t"
      " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal "
      "AND " +
      kUserSchemas +
      " UNION ALL SELECT 'enum ' || n.nspname || '.' || t.typname || ' ' || (SELECT string_agg(e.enumlabel, ',' ORDER "
      "BY"
      " e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) FROM pg_type t JOIN pg_namespace n ON n.oid ="
      " t.typnamespace WHERE t.typtype = 'e' AND " +
      kUserSchemas;
  std::set<std::string> out;
  for (const auto& row : tx.exec(q))
    if (!row[0].is_null()) out.insert(row[0].as<std::string>());
  return out;
}

std::vector<std::string> catalog_diff(const std::set<std::string>& before, const std::set<std::string>& after) {
  std::vector<std::string> out;
  for (auto& l : before)
    if (!after.count(l)) out.push_back("- " + l);
  for (auto& l : after)
    if (!before.count(l)) out.push_back("+ " + l);
  return out;
}

void fill_observed(StatementTrace& t, const LockSet& acquired, const Relations& before, const Relations& after) {
  std::map<std::string, LockMode> strongest;
  std::vector<std::string> order;
  for (auto& [oid, mode] : acquired) {
    const Relation* r = nullptr;
    bool is_new = false;
    if (auto it = before.find(oid); it != before.end())
      r = &it->second;
    else if (auto ia = after.find(oid); ia != after.end()) {
      r = &ia->second;
      is_new = true;
    }
    if (!r) continue;  // a system catalog
    LockMode m = lock_mode_from_name(mode);
    t.locks.push_back(ObservedLock{display(r->name), r->relkind, m, is_new});
    if (is_new || !is_table_kind(r->relkind)) continue;
    if (!strongest.count(r->name)) order.push_back(r->name);
    strongest[r->name] = std::max(strongest[r->name], m);
  }
  std::sort(t.locks.begin(), t.locks.end(), [](const ObservedLock& a, const ObservedLock& b) {
    return a.relation != b.relation ? a.relation < b.relation : a.mode > b.mode;
  });
  for (auto& n : order) t.tables.push_back(TableMode{n, strongest[n]});
  for (auto& [oid, r] : before) {
    auto it = after.find(oid);
    if (it != after.end() && (r.relkind == 'r' || r.relkind == 'm') && it->second.relfilenode != r.relfilenode) {
      t.rewrite = true;
      t.rewritten.push_back(display(r.name));
    }
  }
}

// Raw SQL on a connection whose transaction state we manage ourselves (BEGIN/COMMIT as text).
struct Session {
  pqxx::connection conn;
  pqxx::nontransaction tx;
  bool in_tx = false;
  explicit Session(const std::string& url) : conn(url), tx(conn, "pgstage-trace") {}
  pqxx::result exec(const std::string& sql) { return tx.exec(sql); }
};

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s)
    if (c == '\n') c = ' ';
  return s;
}

struct GateTable {
  std::string sql_name;  // quoted schema.name
  long long oid = 0;
};

// One gate per table: a connection holding a lock in an open transaction, so that the worker's
// request for a conflicting lock waits and shows up in pg_locks (granted = false). Level 0 holds
// SHARE UPDATE EXCLUSIVE (catches requests from SHARE UPDATE EXCLUSIVE up); once the worker waits
// on it, it is swapped for ACCESS SHARE (catches a later ACCESS EXCLUSIVE), then released.
struct Gate {
  GateTable table;
  std::unique_ptr<Session> session;
  int level = 0;  // 0: SHARE UPDATE EXCLUSIVE held, 1: ACCESS SHARE held, 2: released
  Clock::time_point since;
  int pid = 0;

  void advance() {
    try {
      session->exec("COMMIT");
      if (level == 0) {
        session->exec("BEGIN");
        try {
          session->exec("LOCK TABLE ONLY " + table.sql_name + " IN ACCESS SHARE MODE NOWAIT");
          level = 1;
          since = Clock::now();
          return;
        } catch (const std::exception&) {
          session->exec("ROLLBACK");
        }
      }
    } catch (const std::exception&) {
    }
    level = 2;
  }
};

// Runs `sql` on `work` while `observer` polls pg_locks for the worker's backend, with a gate on
// each of `gate_tables` (see Gate). A gate advances when pg_blocking_pids says the worker waits for
// it (a conflicting lock request, or waiting for the gate's transaction to end), or after `gate_timeout`.
LockSet run_observed(Session& work, Session& observer, const std::string& url, const std::string& sql,
                     const std::vector<GateTable>& gate_tables, std::chrono::milliseconds gate_timeout,
                     double& duration_ms, std::string& error, std::vector<std::string>& notes) {
  LockSet seen;
  int polls = 0, waits_seen = 0;
  int pid = work.conn.backendpid();
  std::vector<Gate> gates;
  for (auto& g : gate_tables) {
    Gate gate{g, std::make_unique<Session>(url), 0, Clock::now(), 0};
    gate.pid = gate.session->conn.backendpid();
    // ONLY: locking a parent would also lock its partitions and collide with their own gates.
    gate.session->exec("SET lock_timeout = 5000");
    gate.session->exec("BEGIN");
    try {
      gate.session->exec("LOCK TABLE ONLY " + g.sql_name + " IN SHARE UPDATE EXCLUSIVE MODE");
    } catch (const std::exception& e) {
      notes.push_back("no gate on " + g.sql_name + " (" + one_line(e.what()) + "): its locks were observed by polling alone");
      gate.session->exec("ROLLBACK");
      continue;  // no gate on this table: its locks are observed by polling alone
    }
    gates.push_back(std::move(gate));
  }
  std::atomic<bool> done{false};
  std::thread worker([&] {
    auto t0 = Clock::now();
    try {
      work.exec(sql);
    } catch (const std::exception& e) {
      error = one_line(e.what());
    }
    duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    done = true;
  });
  std::string q = "SELECT relation::int8, mode, pg_blocking_pids(" + std::to_string(pid) +
                  ")::text FROM (SELECT 1) one LEFT JOIN pg_locks ON pid = " + std::to_string(pid) +
                  " AND locktype = 'relation' AND relation IS NOT NULL";
  int blocked_unseen = 0;  // consecutive polls that saw the worker blocked but no request on a gated table
  try {
    while (!done) {
      std::string blockers;
      std::set<long long> polled;  // relations the worker holds or requests in this poll
      for (const auto& row : observer.exec(q)) {
        if (!row[0].is_null()) {
          seen.emplace(row[0].as<long long>(), row[1].as<std::string>());
          polled.insert(row[0].as<long long>());
        }
        blockers = row[2].as<std::string>();
      }
      // Advance exactly the gates the worker waits for (a lock request or their transaction's end).
      std::set<int> blocking;
      for (size_t i = 0; i < blockers.size();) {
        size_t j = blockers.find_first_of("0123456789", i);
        if (j == std::string::npos) break;
        size_t k = blockers.find_first_not_of("0123456789", j);
        blocking.insert(std::stoi(blockers.substr(j, k - j)));
        i = k == std::string::npos ? blockers.size() : k;
      }
      ++polls;
      if (!blocking.empty()) ++waits_seen;
      // pg_locks is read before pg_blocking_pids within the poll: a request made in between shows
      // the worker blocked with no lock yet. Opening the gate then would let a fast statement end
      // before any poll saw its lock; poll once more first (the waiting request stays in pg_locks).
      bool gated_seen = std::any_of(gates.begin(), gates.end(), [&](auto& g) { return polled.count(g.table.oid); });
      blocked_unseen = !blocking.empty() && !gated_seen ? blocked_unseen + 1 : 0;
      bool lock_seen_or_waited = blocked_unseen == 0 || blocked_unseen > 2;
      for (auto& g : gates)
        if (g.level < 2 && ((blocking.count(g.pid) && lock_seen_or_waited) || Clock::now() - g.since > gate_timeout)) {
          if (!blocking.count(g.pid))
            notes.push_back("the gate on " + g.table.sql_name + " timed out before the statement waited for it");
          g.advance();
        }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  } catch (const std::exception& e) {
    if (error.empty()) error = "observer: " + one_line(e.what());
  }
  for (auto& g : gates)
    while (g.level < 2) g.advance();
  worker.join();
  if (seen.empty())
    notes.push_back("no lock seen in " + std::to_string(polls) + " polls of pg_locks (" + std::to_string(gates.size()) +
                    " of " + std::to_string(gate_tables.size()) + " gates placed, the statement waited in " +
                    std::to_string(waits_seen) + " polls)");
  return seen;
}

std::set<std::string> non_tables(const Relations& rels) {
  std::set<std::string> out;
  for (auto& [_, r] : rels)
    if (!is_table_kind(r.relkind)) out.insert(r.name);
  return out;
}

std::string lock_key(const std::string& rel, LockMode m) { return rel + "|" + std::string(lock_mode_pg_name(m)); }

}  // namespace

std::string_view trace_status_name(TraceStatus s) {
  switch (s) {
    case TraceStatus::Confirmed:
      return "confirmed";
    case TraceStatus::Mismatch:
      return "mismatch";
    case TraceStatus::Skipped:
      return "skipped";
    case TraceStatus::Failed:
      return "failed";
  }
  return "?";
}

LockMode StatementTrace::traced_mode() const {
  LockMode m = LockMode::None;
  for (auto& t : tables) m = std::max(m, t.mode);
  return m;
}

int TraceResult::count(TraceStatus s) const {
  return int(
      std::count_if(statements.begin(), statements.end(), [&](const StatementTrace& t) { return t.status == s; }));
}

void compare(StatementTrace& t, const std::vector<std::string>& held_before, const std::set<std::string>& non_tables) {
  std::set<std::string> held(held_before.begin(), held_before.end());
  // Predicted: tables only (the traced side excludes indexes and relations the statement creates).
  std::map<std::string, LockMode> predicted;
  t.predicted_table_mode = LockMode::None;
  for (auto& tl : t.predicted.tables) {
    std::string k = Catalog::key(tl.table);
    if (non_tables.count(k)) continue;
    predicted[k] = std::max(predicted[k], tl.mode);
    t.predicted_table_mode = std::max(t.predicted_table_mode, tl.mode);
  }
  std::map<std::string, LockMode> traced;
  for (auto& tm : t.tables) traced[tm.table] = tm.mode;
  t.differences.clear();
  for (auto& [name, mode] : predicted) {
    auto it = traced.find(name);
    LockMode got = it == traced.end() ? LockMode::None : it->second;
    if (got < mode && held.count(lock_key(name, mode))) {
      t.already_held.push_back(display(name) + " " + std::string(lock_mode_name(mode)));
      got = mode;
      if (it == traced.end())
        t.tables.push_back(TableMode{name, mode, true});
      else
        for (auto& tm : t.tables)
          if (tm.table == name) tm = TableMode{name, mode, true};
    }
    if (got == mode) continue;
    if (got == LockMode::None)
      t.differences.push_back(display(name) + ": predicted " + std::string(lock_mode_name(mode)) +
                              ", Postgres took no lock");
    else
      t.differences.push_back(display(name) + ": predicted " + std::string(lock_mode_name(mode)) + ", Postgres took " +
                              std::string(lock_mode_name(got)));
  }
  for (auto& [name, mode] : traced) {
    if (predicted.count(name)) continue;
    // ACCESS SHARE on a relation the statement only reads (a view's source, a referenced table)
    // conflicts with nothing but ACCESS EXCLUSIVE; the lock facts do not model every read.
    if (mode == LockMode::AccessShare)
      t.notes.push_back(display(name) + ": Postgres also took ACCESS SHARE (a read; not modelled)");
    else
      t.differences.push_back(display(name) + ": Postgres took " + std::string(lock_mode_name(mode)) +
                              ", not predicted");
  }
  if (t.rewrite != t.predicted.rewrite) {
    std::string d = std::string("rewrite: predicted ") + (t.predicted.rewrite ? "yes" : "no") + ", Postgres " +
                    (t.rewrite ? "rewrote " + (t.rewritten.empty() ? std::string("a relation") : t.rewritten.front())
                               : std::string("rewrote nothing"));
    if (t.predicted.rewrite_uncertain)
      t.notes.push_back(d + " (the prediction was uncertain)");
    else
      t.differences.push_back(d);
  }
  t.status = t.differences.empty() ? TraceStatus::Confirmed : TraceStatus::Mismatch;
}

TraceResult trace(const std::vector<TraceInput>& inputs, const TraceOptions& opts) {
  TraceResult result;
  Catalog catalog;
  if (opts.base_catalog) catalog = *opts.base_catalog;
  std::optional<Session> work, observer;
  std::string where;
  try {
    where = "connect";
    work.emplace(opts.url);
    work->exec("SET lock_timeout = " + std::to_string(opts.lock_timeout.count()));
    for (auto& in : inputs) {
      if (!in.review) {
        if (opts.throwaway) {
          ParsedFile pf = parse_source(in.file);
          for (auto& st : pf.statements) {
            where = in.file.path + ":" + std::to_string(in.file.position(st.begin).line) + " (history)";
            work->exec(st.text(in.file));
          }
        }
        replay_into(catalog, in.file, opts.settings);
        continue;
      }
      auto analyzed = analyze_file(in.file, catalog, opts.settings, true);
      for (auto& a : analyzed) {
        StatementTrace t;
        t.file = in.file.path;
        t.start = in.file.position(a.statement.begin);
        t.sql = a.statement.text(in.file);
        t.kind = a.statement.error ? "SyntaxError" : a.lowered.kind;
        t.predicted = a.lock;
        where = t.file + ":" + std::to_string(t.start.line) + ":" + std::to_string(t.start.column);
        bool tx_control = std::any_of(a.lowered.changes.begin(), a.lowered.changes.end(),
                                      [](const Change& c) { return c.is<TransactionControl>(); });
        if (tx_control) {
          t.status = TraceStatus::Skipped;
          t.error = "transaction control is managed by trace";
          result.statements.push_back(std::move(t));
          continue;
        }
        if (a.lock.transactional) {
          if (!work->in_tx) {
            work->exec("BEGIN");
            work->in_tx = true;
          }
          Relations rel_before = read_relations(work->tx);
          auto cat_before = read_catalog(work->tx);
          LockSet held_before = read_own_locks(work->tx);  // last, so the snapshot queries' own locks are in it
          auto t0 = Clock::now();
          try {
            work->exec(t.sql);
          } catch (const std::exception& e) {
            t.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            t.status = TraceStatus::Failed;
            t.error = one_line(e.what());
            result.statements.push_back(std::move(t));
            work->exec("ROLLBACK");
            work->in_tx = false;
            result.error = where + ": the statement failed; the transaction was rolled back";
            return result;
          }
          t.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
          LockSet after = read_own_locks(work->tx);
          LockSet acquired;
          std::set_difference(after.begin(), after.end(), held_before.begin(), held_before.end(),
                              std::inserter(acquired, acquired.end()));
          Relations rel_after = read_relations(work->tx);
          fill_observed(t, acquired, rel_before, rel_after);
          t.catalog_changes = catalog_diff(cat_before, read_catalog(work->tx));
          std::vector<std::string> held;
          for (auto& [oid, mode] : held_before)
            if (auto it = rel_before.find(oid); it != rel_before.end()) held.push_back(it->second.name + "|" + mode);
          compare(t, held, non_tables(rel_before));
          if (opts.throwaway) {
            work->exec("COMMIT");
            work->in_tx = false;
          }
        } else {
          t.in_transaction = false;
          if (work->in_tx) {
            if (!opts.throwaway && !opts.commit) {
              t.status = TraceStatus::Skipped;
              t.error =
                  "cannot run inside the transaction that trace rolls back; rerun with --temp-cluster (or --commit)";
              result.statements.push_back(std::move(t));
              continue;
            }
            work->exec("COMMIT");
            work->in_tx = false;
          } else if (!opts.throwaway && !opts.commit) {
            t.status = TraceStatus::Skipped;
            t.error =
                "runs outside a transaction, so it cannot be rolled back; rerun with --temp-cluster (or --commit)";
            result.statements.push_back(std::move(t));
            continue;
          }
          if (!observer) {
            observer.emplace(opts.url);
          }
          Relations rel_before = read_relations(work->tx);
          auto cat_before = read_catalog(work->tx);
          std::vector<GateTable> gate;
          for (auto& tl : a.lock.tables)
            for (auto& [oid, r] : rel_before)
              if (r.name == Catalog::key(tl.table) && (r.relkind == 'r' || r.relkind == 'p' || r.relkind == 'm'))
                gate.push_back(GateTable{work->tx.quote_name(r.name.substr(0, r.name.find('.'))) + "." +
                                             work->tx.quote_name(r.name.substr(r.name.find('.') + 1)),
                                         oid});
          std::string err;
          LockSet seen =
              run_observed(*work, *observer, opts.url, t.sql, gate, opts.gate_timeout, t.duration_ms, err, t.notes);
          if (!err.empty()) {
            t.status = TraceStatus::Failed;
            t.error = err;
            result.statements.push_back(std::move(t));
            result.error = where + ": the statement failed";
            return result;
          }
          Relations rel_after = read_relations(work->tx);
          fill_observed(t, seen, rel_before, rel_after);
          t.catalog_changes = catalog_diff(cat_before, read_catalog(work->tx));
          t.notes.push_back("ran outside a transaction; locks observed from a second connection");
          compare(t, {}, non_tables(rel_before));
        }
        result.statements.push_back(std::move(t));
      }
    }
    if (work->in_tx) {
      work->exec(opts.commit ? "COMMIT" : "ROLLBACK");
      work->in_tx = false;
      result.committed = opts.commit;
    }
  } catch (const std::exception& e) {
    result.error = where + ": " + one_line(db::redact_secrets(e.what(), opts.url));
    if (where == "connect")
      result.error =
          "cannot connect to " + db::redact_url(opts.url) + ": " + one_line(db::redact_secrets(e.what(), opts.url));
    try {
      if (work && work->in_tx) work->exec("ROLLBACK");
    } catch (...) {
    }
  }
  return result;
}

}  // namespace pgstage::trace
