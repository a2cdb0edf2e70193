#include "verify/verify.h"

#include "verify/check_queries.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <filesystem>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <set>

#include "analyzer/history.h"
#include "analyzer/lower.h"
#include "analyzer/parse.h"
#include "analyzer/rule_api.h"
#include "db/pg.h"
#include "db/redact.h"
#include "db/schema_sql.h"
#include "db/temp_cluster.h"
#include "executor/apply.h"
#include "executor/fault.h"
#include "planner/fill.h"
#include "planner/sql.h"

namespace fs = std::filesystem;

namespace pgstage::verify {

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Verified:
      return "verified";
    case Outcome::Different:
      return "different";
    case Outcome::PlanFailed:
      return "plan-failed";
    case Outcome::Unverified:
      return "unverified";
    case Outcome::Setup:
      return "setup";
  }
  return "setup";
}

namespace {

using Clock = std::chrono::steady_clock;

// The URL of database `db` on the server of `url` (a postgresql:// URI or a key=value string).
std::string with_database(const std::string& url, const std::string& db) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    size_t scheme = url.find("://") + 3;
    size_t slash = url.find('/', scheme);
    size_t qm = url.find('?', scheme);
    std::string head = url.substr(0, std::min(slash, qm));
    std::string query = qm == std::string::npos ? "" : url.substr(qm);
    return head + "/" + db + query;
  }
  return url + " dbname=" + db;
}

// Scratch databases on a server: on a temporary cluster (dropped with it) or on --shadow-url
// (dropped when verification ends).
class Shadow {
 public:
  ~Shadow() {
    if (!admin_url_.empty()) {
      try {
        pqxx::connection c(admin_url_);
        pqxx::nontransaction tx(c);
        for (auto& d : created_) tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(d) + " WITH (FORCE)");
      } catch (...) {
      }
    }
  }
  bool start(const std::string& shadow_url, std::string& err) {
    if (shadow_url.empty()) {
      if (!cluster_.start(err)) return false;
      admin_url_ = cluster_.url();
      return true;
    }
    admin_url_ = shadow_url;
    try {
      pqxx::connection c(admin_url_);
    } catch (...) {
      err = db::redact_secrets(db::current_exception_result("cannot connect to --shadow-url").error, shadow_url);
      admin_url_.clear();
      return false;
    }
    return true;
  }
  // Creates a database (empty, or a copy of `from`, another scratch database) and returns its URL.
  bool create(const std::string& role, std::string& url, std::string& err, const std::string& from = "") {
    std::string name = "pgstage_verify_" + role + "_" + std::to_string(getpid()) + "_" + std::to_string(++n_);
    try {
      pqxx::connection c(admin_url_);
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name));
      tx.exec("CREATE DATABASE " + tx.quote_name(name) + " TEMPLATE " +
              tx.quote_name(from.empty() ? "template0" : from));
    } catch (...) {
      err = db::redact_secrets(db::current_exception_result("cannot create a scratch database").error, admin_url_);
      return false;
    }
    created_.push_back(name);
    url = with_database(admin_url_, name);
    last_ = name;
    return true;
  }
  const std::string& last_name() const { return last_; }

 private:
  db::TempCluster cluster_;
  std::string admin_url_;
  std::vector<std::string> created_;
  std::string last_;
  int n_ = 0;
};

// The statements of a file as a migration runner would run them (BEGIN/COMMIT dropped). With
// `with_fill`, a statement annotated `-- pgstage:fill EXPR` that adds a NOT NULL column without a
// default (or sets NOT NULL) runs as what the annotation means: existing rows get EXPR, then NOT
// NULL; as written it cannot run on a table with rows, so it is no reference for them.
bool file_statements(const SourceFile& f, bool with_fill, std::vector<std::string>& stmts, std::string& err) {
  ParsedFile parsed = parse_source(f);
  for (size_t i = 0; i < parsed.statements.size(); ++i) {
    auto& st = parsed.statements[i];
    if (st.error) {
      err = f.path + ": a statement does not parse: " + st.error->message;
      return false;
    }
    LoweredStatement lo = lower(st, f);
    bool tx_control = false;
    for (auto& c : lo.changes) tx_control = tx_control || c.is<TransactionControl>();
    if (tx_control) continue;
    if (with_fill) {
      size_t prev_end = i == 0 ? f.up_begin : parsed.statements[i - 1].end;
      size_t next_begin = i + 1 < parsed.statements.size() ? parsed.statements[i + 1].begin : f.up_end;
      std::string fill_err;
      auto fills = planner::find_fills(f, parsed.comments, prev_end, st.begin, st.end, next_begin, fill_err);
      auto filled = planner::filled_columns(lo);
      std::vector<std::string> parts;
      bool ok = !fills.empty() && !filled.empty();
      for (size_t k = 0; ok && k < lo.changes.size(); ++k) {
        const Change& c = lo.changes[k];
        auto* ac = c.as<AddColumn>();
        auto* sn = c.as<SetNotNull>();
        std::string column = ac ? ac->column.name : sn ? sn->column : "";
        bool is_filled = std::find(filled.begin(), filled.end(), column) != filled.end();
        auto fill = is_filled ? planner::fill_for(f, fills, filled, column, fill_err) : std::nullopt;
        if (ac && is_filled && fill && !ac->column.primary_key && !ac->column.unique &&
            std::all_of(ac->column.constraints.begin(), ac->column.constraints.end(), [](const Constraint& k) {
              return k.kind == ConstraintKind::NotNull || k.kind == ConstraintKind::ForeignKey ||
                     k.kind == ConstraintKind::Check;
            })) {
          std::string t = quote_name(ac->table), col = quote_ident(column);
          parts.push_back("ALTER TABLE " + t + " ADD COLUMN " + col + " " + ac->column.type.sql());
          parts.push_back("UPDATE " + t + " SET " + col + " = (" + *fill + ")");
          parts.push_back("ALTER TABLE " + t + " ALTER COLUMN " + col + " SET NOT NULL");
          for (auto& k : ac->column.constraints) {
            if (k.kind == ConstraintKind::NotNull) continue;
            std::string name, def = planner::inline_constraint_sql(ac->table, column, k, name);
            parts.push_back("ALTER TABLE " + t + " ADD CONSTRAINT " + quote_ident(name) + " " + def);
          }
        } else if (sn) {
          std::string t = quote_name(sn->table), col = quote_ident(column);
          if (fill) parts.push_back("UPDATE " + t + " SET " + col + " = (" + *fill + ") WHERE " + col + " IS NULL");
          parts.push_back("ALTER TABLE " + t + " ALTER COLUMN " + col + " SET NOT NULL");
        } else {
          ok = false;  // a change the fill does not explain: the statement runs as written
        }
      }
      if (ok && fill_err.empty()) {
        for (auto& p : parts) stmts.push_back(std::move(p));
        continue;
      }
    }
    stmts.push_back(st.text(f));
  }
  return true;
}

// Runs a file's statements as a migration runner would: in one transaction, or (when a statement
// cannot run in a transaction block) one statement at a time.
bool run_as_written(const std::string& url, const SourceFile& f, std::string& err, bool with_fill = false) {
  std::vector<std::string> stmts;
  if (!file_statements(f, with_fill, stmts, err)) return false;
  try {
    pqxx::connection c(url);
    bool own = f.no_transaction_marker;
    if (!own) {
      try {
        pqxx::work tx(c);
        for (auto& s : stmts) tx.exec(s);
        tx.commit();
        return true;
      } catch (const pqxx::sql_error& e) {
        if (e.sqlstate() != "25001") throw;  // active_sql_transaction: CONCURRENTLY and friends
      }
    }
    for (auto& s : stmts) {
      pqxx::nontransaction tx(c);
      tx.exec(s);
    }
    return true;
  } catch (...) {
    err = db::current_exception_result(f.path).error;
    return false;
  }
}

// Sample rows: a few type-aware rows in each table the migration touches (and the tables their
// foreign keys reference, first), generated by SQL so that both databases get the same rows.
struct ColumnInfo {
  std::string name, type, category, elem_type, elem_category;
  bool not_null = false, skip = false;
  std::string fk_table, fk_column;
};

std::string value_sql(const std::string& type, const std::string& category, const std::string& g) {
  std::string n = "(1000 + " + g + ")";
  if (category == "N") return "(" + n + ")::" + type;
  if (category == "S") return "('sample-' || " + n + ")::" + type;
  if (category == "B") return "(" + g + " % 2 = 0)::" + type;
  if (category == "D") {
    if (type.find("time without") == 0 || type.find("time with") == 0 || type == "time")
      return "(time '10:00' + " + g + " * interval '1 minute')::" + type;
    return "(timestamp '2024-01-01 12:00' + " + g + " * interval '1 day')::" + type;
  }
  if (category == "T") return "(" + g + " * interval '1 hour')::" + type;
  if (category == "E")
    return "(enum_range(NULL::" + type + "))[1 + " + g + " % array_length(enum_range(NULL::" + type + "), 1)]";
  if (category == "I") return "('10.0.' || " + g + " || '.0/24')::" + type;
  if (type == "uuid") return "md5('sample' || " + g + ")::uuid";
  if (type == "json" || type == "jsonb") return "jsonb_build_array('sample', " + g + ")::" + type;
  if (type == "bytea") return "convert_to('sample' || " + g + ", 'UTF8')";
  return "";
}

struct SampleResult {
  long rows = 0;                    // inserted
  std::vector<std::string> tables;  // their names
  std::vector<std::string> notes;
};

// Inserts the rows into `url` (committed); the other database is then copied from it.
SampleResult insert_sample_rows(const std::string& url, const std::vector<QualifiedName>& touched, int rows) {
  SampleResult out;
  try {
    pqxx::connection c(url);
    pqxx::work tx(c);
    // Resolve touched tables that exist before the migration; add what their foreign keys reference.
    std::vector<std::string> order;  // regclass text, referenced tables first
    std::set<std::string> seen;
    std::function<void(const std::string&, int)> add = [&](const std::string& rel, int depth) {
      if (seen.count(rel) || depth > 8) return;
      seen.insert(rel);
      for (auto r : tx.exec_params(
               "SELECT DISTINCT confrelid::regclass::text FROM pg_constraint WHERE contype = 'f' AND conrelid = "
               "$1::regclass AND confrelid <> conrelid",
               rel))
        add(r[0].as<std::string>(), depth + 1);
      order.push_back(rel);
    };
    for (auto& t : touched) {
      pqxx::result r = tx.exec_params(
          "SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')",
          quote_name(t));
      if (!r.empty()) add(r[0][0].as<std::string>(), 0);
    }
    for (auto& rel : order) {
      std::vector<ColumnInfo> cols;
      for (auto r : tx.exec_params(
               "SELECT quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), bt.typcategory::text, "
               "coalesce(format_type(et.oid, NULL), ''), coalesce(et.typcategory::text, ''), a.attnotnull, "
               "a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '', "
               "(SELECT fc.confrelid::regclass::text FROM pg_constraint fc WHERE fc.contype = 'f' AND fc.conrelid = "
               "a.attrelid AND fc.conkey = ARRAY[a.attnum] LIMIT 1), "
               "(SELECT quote_ident(ra.attname) FROM pg_constraint fc JOIN pg_attribute ra ON ra.attrelid = "
               "fc.confrelid AND ra.attnum = fc.confkey[1] WHERE fc.contype = 'f' AND fc.conrelid = a.attrelid AND "
               "fc.conkey = ARRAY[a.attnum] LIMIT 1) "
               "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
               "JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END "
               "LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A' "
               "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
               rel)) {
        ColumnInfo ci;
        ci.name = r[0].as<std::string>();
        ci.type = r[1].as<std::string>();
        ci.category = r[2].as<std::string>();
        ci.elem_type = r[3].as<std::string>();
        ci.elem_category = r[4].as<std::string>();
        ci.not_null = r[5].as<bool>();
        ci.skip = r[6].as<bool>();  // a default, identity or generated column fills itself
        if (!r[7].is_null()) ci.fk_table = r[7].as<std::string>();
        if (!r[8].is_null()) ci.fk_column = r[8].as<std::string>();
        cols.push_back(ci);
      }
      std::vector<std::string> names, values;
      bool missing_required = false;
      for (auto& ci : cols) {
        if (ci.skip) continue;
        std::string v;
        if (!ci.fk_table.empty()) {
          v = "(SELECT r." + ci.fk_column + " FROM " + ci.fk_table +
              " r ORDER BY 1 OFFSET ((g - 1) % greatest((SELECT count(*) FROM " + ci.fk_table + "), 1)) LIMIT 1)";
        } else if (ci.category == "A") {
          std::string e = value_sql(ci.elem_type, ci.elem_category, "g");
          v = e.empty() ? "'{}'::" + ci.type : "ARRAY[" + e + "]::" + ci.type;
        } else {
          v = value_sql(ci.type, ci.category, "g");  // a domain: the base type's value, cast to the domain
        }
        if (v.empty()) {
          if (ci.not_null) missing_required = true;
          continue;
        }
        names.push_back(ci.name);
        values.push_back(v);
      }
      if (missing_required) {
        out.notes.push_back("no sample rows in " + rel +
                            ": a required column has a type pgstage cannot make values for");
        continue;
      }
      std::string cols_sql, vals_sql;
      for (size_t i = 0; i < names.size(); ++i) {
        cols_sql += (i ? ", " : "") + names[i];
        vals_sql += (i ? ", " : "") + values[i];
      }
      std::string sql = names.empty() ? "INSERT INTO " + rel + " DEFAULT VALUES"
                                      : "INSERT INTO " + rel + " (" + cols_sql + ") SELECT " + vals_sql +
                                            " FROM generate_series(1, " + std::to_string(rows) + ") g";
      // Try it here first: a CHECK or unique constraint may refuse generated values.
      try {
        pqxx::subtransaction sp(tx, "sample");
        out.rows += sp.exec(sql).affected_rows();
        sp.commit();
        out.tables.push_back(rel);
      } catch (const std::exception& e) {
        std::string msg = e.what();
        if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
        out.notes.push_back("no sample rows in " + rel + ": " + msg);
      }
    }
    tx.commit();
  } catch (const std::exception& e) {
    out.notes.push_back(std::string("sample rows: ") + e.what());
  }
  return out;
}

struct ScratchDir {
  std::string path;
  ScratchDir() {
    char tmpl[] = "/tmp/pgstage-verify-XXXXXX";
    if (mkdtemp(tmpl)) path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

// Writes the migration into `scratch` under its name relative to its migration directory, where
// the executor finds it as the one pending file.
bool write_scratch_migration(const ScratchDir& scratch, const std::string& path, const SourceFile& migration,
                             std::string& err) {
  if (scratch.path.empty()) {
    err = "cannot create a scratch directory";
    return false;
  }
  std::string name = fs::path(path).lexically_relative(migration_directory(path)).generic_string();
  if (name.empty() || name.starts_with("..")) name = fs::path(path).filename().string();
  fs::path target = fs::path(scratch.path) / name;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  std::ofstream o(target, std::ios::binary);
  o << migration.text;
  if (!o) err = "cannot write " + target.string();
  return bool(o);
}

// What the database before the migration is built from, for the progress log.
std::string before_schema_text(const std::vector<MigrationEntry>& history, const std::string& start_source) {
  if (!start_source.empty()) return "building the schema before the migration from " + start_source;
  return "building the schema before the migration (" + std::to_string(history.size()) + " file(s))";
}

// The schema before the migration on the empty database `url`: `start_sql` (a live database's or a
// snapshot's schema) when given, else the history replayed as written.
bool build_before_schema(const std::string& url, const std::vector<MigrationEntry>& history,
                         const std::string& start_sql, const std::string& start_source, std::string& err) {
  if (!start_sql.empty()) {
    if (db::run_schema_sql(url, start_sql, err)) return true;
    err = start_source + " does not build on the throwaway database: " + err;
    return false;
  }
  for (auto& h : history) {
    SourceFile f;
    if (!read_source(h.path, h.layout, f, err)) return false;
    if (!run_as_written(url, f, err)) {
      err = "the history does not run on a fresh database: " + err;
      return false;
    }
  }
  return true;
}

// An apply of the scratch directory on `url` as `release` that runs `plan` as given (not planned
// again) through the real executor; `used` is set when the executor asks for the plan. `plan` and
// `used` must outlive the request.
executor::ApplyRequest plan_request(const ScratchDir& scratch, const std::string& url, const std::string& release,
                                    const std::vector<MigrationEntry>& history, const LintOptions& lint,
                                    const std::vector<const Rule*>& rules, const planner::Plan& plan, bool& used) {
  executor::ApplyRequest ar;
  ar.migrations_dir = scratch.path;
  ar.database_url = url;
  ar.release = release;
  ar.lint = lint;
  ar.lint.no_history = true;
  ar.lint.history.clear();
  for (auto& h : history) ar.lint.history.push_back(h.path);
  ar.rules = rules;
  ar.settings.lock_timeout = std::chrono::seconds(10);
  ar.settings.progress_log_interval = std::chrono::hours(1);
  ar.plan_every_file = true;  // the plan is what is proven, whatever the executor would decide alone
  ar.plan = [&plan, &used](const FileAnalysis&, const planner::PlanOptions&) {
    used = true;
    planner::PlanResult r;
    r.ok = true;
    r.plan = plan;
    return r;
  };
  ar.out = [](const std::string&) {};  // the executor's progress lines are not the user's
  return ar;
}

// The executor's error on a throwaway database, with the statements it refused.
std::string exec_error(const executor::ApplyResult& r) {
  std::string e = r.error;
  // On the throwaway database nothing resumes: drop the executor's advice for a real run.
  const std::string resume = "; the run stopped here, earlier steps stay applied and the next apply resumes";
  if (auto at = e.find(resume); at != std::string::npos) e.erase(at, resume.size());
  for (auto& x : r.refused) e += "\n  " + x;
  return e;
}

}  // namespace

// Tables the migration's INSERT / UPDATE / MERGE statements write with values that differ on every
// run (random UUIDs, the clock), as regclass text: the two runs cannot agree on those rows.
std::vector<std::string> volatile_written_tables(const SourceFile& migration) {
  static const char* kVolatile[] = {"gen_random_uuid", "uuid_generate_v1", "uuid_generate_v4", "random",
                                    "now",             "current_timestamp", "current_time",     "localtimestamp",
                                    "localtime",       "clock_timestamp",   "statement_timestamp",
                                    "transaction_timestamp", "timeofday"};
  std::vector<std::string> out;
  for (auto& st : parse_source(migration).statements) {
    if (st.error) continue;
    std::string text(st.text(migration));
    for (char& ch : text) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    bool vol = std::any_of(std::begin(kVolatile), std::end(kVolatile), [&](const char* f) {
      for (size_t at = text.find(f); at != std::string::npos; at = text.find(f, at + 1)) {
        size_t e = at + std::strlen(f);
        bool left = at == 0 || !(std::isalnum(static_cast<unsigned char>(text[at - 1])) || text[at - 1] == '_');
        bool right = e >= text.size() || !(std::isalnum(static_cast<unsigned char>(text[e])) || text[e] == '_');
        if (left && right) return true;
      }
      return false;
    });
    if (!vol) continue;
    for (auto& c : lower(st, migration).changes)
      if (auto* d = c.as<Dml>(); d && d->kind != DmlKind::Delete) {
        QualifiedName t = d->table;
        if (t.schema == "public") t.schema.clear();
        out.push_back(display_name(t));
      }
  }
  return out;
}

// Tables the migration INSERTs into (or MERGEs) whose columns default to such values (a
// `published timestamp DEFAULT now()` filled by the migration's seed row), as regclass text.
std::vector<std::string> inserted_with_volatile_defaults(const std::string& url, const SourceFile& migration) {
  std::vector<std::string> inserted, out;
  for (auto& st : parse_source(migration).statements) {
    if (st.error) continue;
    for (auto& c : lower(st, migration).changes)
      if (auto* d = c.as<Dml>(); d && (d->kind == DmlKind::Insert || d->kind == DmlKind::Merge)) {
        QualifiedName t = d->table;
        if (t.schema == "public") t.schema.clear();
        inserted.push_back(display_name(t));
      }
  }
  if (inserted.empty()) return out;
  try {
    pqxx::connection c(url);
    pqxx::read_transaction tx(c);
    for (auto row : tx.exec(
             "SELECT DISTINCT d.adrelid::regclass::text FROM pg_catalog.pg_attrdef d WHERE pg_get_expr(d.adbin, "
             "d.adrelid) ~* '(^|[^a-z_])(now|gen_random_uuid|uuid_generate_v[14]|random|clock_timestamp|"
             "statement_timestamp|transaction_timestamp|timeofday)\\(|current_timestamp|localtimestamp|current_time'"))
      if (std::find(inserted.begin(), inserted.end(), row[0].as<std::string>()) != inserted.end())
        out.push_back(row[0].as<std::string>());
  } catch (const std::exception&) {
    // Not knowing only means these rows are compared value by value.
  }
  return out;
}

// One comparison from `before` (a scratch database holding the schema before the migration).
VerifyReport verify_once(const VerifyRequest& req, Shadow& shadow, const std::string& before, int sample_rows) {
  VerifyReport rep;
  auto t0 = Clock::now();
  auto log = [&](const std::string& s) {
    if (req.log) req.log(s);
  };
  auto done = [&](Outcome o, std::string error = {}) {
    rep.outcome = o;
    rep.error = std::move(error);
    rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return rep;
  };
  rep.shadow = req.shadow_url.empty() ? "temporary cluster" : db::redact_url(req.shadow_url);
  rep.compared = {"schemas", "extensions", "relations", "columns (by name)", "constraints",
                  "indexes", "triggers",   "views",     "functions",         "sequences",
                  "types",   "comments",   "grants",    "policies",          "rows of every table"};

  SourceFile migration;
  std::string err;
  if (!read_source(req.migration_path, req.lint.layout, migration, err)) return done(Outcome::Setup, err);
  std::string written_url, staged_url;
  if (!shadow.create("written", written_url, err, before)) return done(Outcome::Setup, err);
  const std::string written_name = shadow.last_name();

  // Sample rows in the tables the plan touches (and what their foreign keys reference).
  std::vector<QualifiedName> touched;
  for (auto& s : req.plan.steps) {
    for (auto& t : s.tables) touched.push_back(t);
    if (s.backfill) touched.push_back(s.backfill->table);
  }
  SampleResult samples;
  if (sample_rows > 0) samples = insert_sample_rows(written_url, touched, sample_rows);
  rep.tables = samples.tables;
  rep.notes = samples.notes;
  rep.sample_rows = samples.rows;
  // The plan's database is a copy of that one, sample rows included: the same values, also where a
  // default such as now() or gen_random_uuid() chose them (inserted twice, they differed).
  bool copied = false;
  for (int attempt = 0; attempt < 50 && !copied; ++attempt) {
    // CREATE DATABASE ... TEMPLATE waits for no one: the sample session may still be closing.
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    copied = shadow.create("staged", staged_url, err, written_name);
  }
  if (!copied) return done(Outcome::Setup, err);

  // As written.
  log("verify: running " + migration.path + " as written");
  if (!run_as_written(written_url, migration, err, true))
    return done(Outcome::Unverified, "the migration as written fails on the sample database: " + err);

  // The plan, through the executor: expand and backfill, mark-deployed, contract.
  log("verify: running the plan through the executor (expand, backfill, mark-deployed, contract)");
  ScratchDir scratch;
  if (!write_scratch_migration(scratch, req.migration_path, migration, err)) return done(Outcome::Setup, err);
  bool plan_used = false;
  executor::ApplyRequest ar = plan_request(scratch, staged_url, "pgstage-verify-expand", req.history, req.lint,
                                           req.rules, req.plan, plan_used);
  executor::FaultPointsOff no_faults;  // PGSTAGE_FAULT counts the real apply's steps, not these
  executor::ApplyResult first = executor::apply_migrations(ar);
  if (first.exit_code != 0) return done(Outcome::PlanFailed, "the plan failed in the executor: " + exec_error(first));
  if (!plan_used) {
    bool generated = false;
    for (auto& s : req.plan.steps) generated = generated || s.kind != "passthrough";
    if (generated)
      return done(Outcome::Setup,
                  "the executor found nothing unsafe in the migration and ran it as written; the plan was not run");
  }
  if (!first.expanded.empty()) {
    if (auto r = executor::mark_deployed(staged_url, ar.release); !r.ok)
      return done(Outcome::Setup, "mark-deployed: " + r.error);
    ar.release = "pgstage-verify-contract";
    executor::ApplyResult second = executor::apply_migrations(ar);
    if (second.exit_code != 0)
      return done(Outcome::PlanFailed, "the contract failed in the executor: " + exec_error(second));
  }

  // Compare.
  SchemaDump a, b;
  if (!dump_schema(written_url, a, err) || !dump_schema(staged_url, b, err)) return done(Outcome::Setup, err);
  rep.objects = a.entries.size();
  std::vector<std::string> count_only = volatile_written_tables(migration);
  for (auto& t : inserted_with_volatile_defaults(written_url, migration)) count_only.push_back(t);
  compare_dumps(a, b, rep.differences, rep.notes, count_only);
  return done(rep.differences.empty() ? Outcome::Verified : Outcome::Different);
}

VerifyReport verify_plan(const VerifyRequest& req) {
  auto t0 = Clock::now();
  Shadow shadow;
  std::string err;
  if (req.log)
    req.log(std::string("verify: starting a ") +
            (req.shadow_url.empty() ? "temporary cluster" : "scratch database on --shadow-url"));
  if (!shadow.start(req.shadow_url, err)) {
    VerifyReport rep;
    rep.shadow = req.shadow_url.empty() ? "temporary cluster" : db::redact_url(req.shadow_url);
    rep.error = "no throwaway database: " + err;
    return rep;
  }
  // The schema before the migration, built once: both databases are copies of it (roles and other
  // cluster-wide objects the history creates exist once).
  std::string before_url;
  auto setup_failed = [&](std::string e) {
    VerifyReport rep;
    rep.shadow = req.shadow_url.empty() ? "temporary cluster" : db::redact_url(req.shadow_url);
    rep.error = std::move(e);
    rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return rep;
  };
  if (!shadow.create("before", before_url, err)) return setup_failed(err);
  std::string before = shadow.last_name();
  if (req.log) req.log("verify: " + before_schema_text(req.history, req.start_source));
  if (!build_before_schema(before_url, req.history, req.start_sql, req.start_source, err)) return setup_failed(err);
  VerifyReport rep = verify_once(req, shadow, before, req.sample_rows);
  if (rep.outcome == Outcome::Unverified && req.sample_rows > 0) {
    // The migration as written cannot run on a table with rows (ADD COLUMN ... NOT NULL with no
    // default): it would fail in production too. Compare the schemas on empty tables instead.
    std::string why = rep.error;
    rep = verify_once(req, shadow, before, 0);
    rep.notes.insert(rep.notes.begin(), "rows not compared: " + why +
                                            " (as it would on any table with rows); the schemas were compared on "
                                            "empty tables");
  }
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return rep;
}

planner::Verification summary(const VerifyReport& r) {
  planner::Verification v;
  v.outcome = std::string(outcome_name(r.outcome));
  v.shadow = r.shadow;
  v.tables = r.tables;
  v.sample_rows = r.sample_rows;
  v.compared = r.compared;
  v.objects = r.objects;
  v.differences = r.differences;
  v.notes = r.notes;
  v.error = r.error;
  return v;
}

std::string render_report(const VerifyReport& r) {
  std::string out;
  auto secs = std::to_string(static_cast<int>(r.seconds * 10) / 10) + "." +
              std::to_string(static_cast<int>(r.seconds * 10) % 10) + "s";
  switch (r.outcome) {
    case Outcome::Verified:
      out = "verified on " + std::string(r.shadow == "temporary cluster" ? "a " : "") + r.shadow + " in " + secs +
            ": the migration as written and the plan (expand, backfill, "
            "mark-deployed, contract through the executor) end with the same schema" +
            (r.sample_rows > 0 ? " and rows" : "") + " (" + std::to_string(r.objects) + " entries compared; " +
            std::to_string(r.sample_rows) + " sample rows in " + std::to_string(r.tables.size()) + " table(s))\n";
      break;
    case Outcome::Different:
      out = "NOT verified: the plan ends with a different schema or rows than the migration as written (" +
            std::to_string(r.differences.size()) + " difference(s)):\n";
      for (auto& d : r.differences) out += "  - " + d + "\n";
      break;
    case Outcome::PlanFailed:
      out = "NOT verified: " + r.error + "\n";
      break;
    case Outcome::Unverified:
      out = "NOT verified: " + r.error + "\n";
      break;
    case Outcome::Setup:
      out = "verification could not run: " + r.error + "\n";
      break;
  }
  for (auto& n : r.notes) out += "  note: " + n + "\n";
  return out;
}

// ---- check-queries --------------------------------------------------------------------------

std::string_view status_name(QueryStatus s) {
  switch (s) {
    case QueryStatus::Ok:
      return "ok";
    case QueryStatus::Failed:
      return "failed";
    case QueryStatus::FailingBefore:
      return "failing-before";
    case QueryStatus::Expected:
      return "expected";
    case QueryStatus::NotRequired:
      return "not-required";
  }
  return "failed";
}

namespace {

// PREPAREs `sql` (with `types` when given, else inferred) on `c`, fills the types Postgres used,
// DEALLOCATEs it. False with Postgres's message and SQLSTATE when it does not prepare.
bool prepare_query(pqxx::connection& c, const std::string& sql, std::vector<std::string>& types, std::string& error,
                   std::string& sqlstate) {
  static int n = 0;
  std::string name = "pgstage_check_" + std::to_string(++n);
  try {
    pqxx::nontransaction tx(c);
    std::string list;
    for (size_t i = 0; i < types.size(); ++i) list += (i ? ", " : "") + types[i];
    tx.exec("PREPARE " + name + (types.empty() ? "" : " (" + list + ")") + " AS " + sql);
    std::vector<std::string> used;
    for (auto r : tx.exec_params(
             "SELECT t::text FROM pg_prepared_statements p, unnest(p.parameter_types) WITH ORDINALITY AS u(t, i) "
             "WHERE p.name = $1 ORDER BY i",
             name))
      used.push_back(r[0].as<std::string>());
    types = used;
    tx.exec("DEALLOCATE " + name);
    return true;
  } catch (const pqxx::sql_error& e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    if (msg.starts_with("ERROR:")) msg = msg.substr(6);
    while (!msg.empty() && msg.front() == ' ') msg.erase(0, 1);
    error = msg;
    sqlstate = e.sqlstate();
    return false;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

}  // namespace

QueryCheckReport check_queries(const QueryCheckRequest& req) {
  auto t0 = Clock::now();
  QueryCheckReport rep;
  rep.old_queries = req.old_queries;
  rep.new_queries = req.new_queries;
  rep.shadow = req.shadow_url.empty() ? "temporary cluster" : db::redact_url(req.shadow_url);
  auto log = [&](const std::string& s) {
    if (req.log) req.log(s);
  };
  auto setup_failed = [&](std::string e) {
    rep.setup_ok = false;
    rep.error = db::redact_secrets(e, req.shadow_url);
    rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return rep;
  };
  for (auto& s : req.plan.steps) rep.staged = rep.staged || s.kind != "passthrough";

  SourceFile migration;
  std::string err;
  if (!read_source(req.migration_path, req.lint.layout, migration, err)) return setup_failed(err);

  log(std::string("check-queries: starting a ") +
      (req.shadow_url.empty() ? "temporary cluster" : "scratch database on --shadow-url"));
  Shadow shadow;
  if (!shadow.start(req.shadow_url, err)) return setup_failed("no throwaway database: " + err);
  std::string before_url;
  if (!shadow.create("before", before_url, err)) return setup_failed(err);
  std::string before = shadow.last_name();
  log("check-queries: " + before_schema_text(req.history, req.start_source));
  if (!build_before_schema(before_url, req.history, req.start_sql, req.start_source, err)) return setup_failed(err);

  // Parameter types: pinned where a query first prepares.
  std::vector<std::vector<std::string>> old_types(req.old_queries.size());
  std::vector<bool> old_before_ok(req.old_queries.size(), false);
  enum class Kind { Before, During, AfterContract };
  auto check_point = [&](const std::string& name, const std::string& url, Kind kind) -> bool {
    log("check-queries: " + name + ": preparing " + std::to_string(req.old_queries.size() + req.new_queries.size()) +
        " queries");
    CheckPoint cp;
    cp.name = name;
    try {
      pqxx::connection c(url);
      for (size_t i = 0; i < req.old_queries.size(); ++i) {
        QueryOutcome o;
        std::vector<std::string> types = old_types[i];
        bool ok = prepare_query(c, req.old_queries[i].sql, types, o.error, o.sqlstate);
        if (ok) {
          o.parameter_types = types;
          if (kind == Kind::Before) {
            old_before_ok[i] = true;
            old_types[i] = types;
          }
        } else {
          o.parameter_types = old_types[i];
          o.status = kind == Kind::Before || !old_before_ok[i] ? QueryStatus::FailingBefore
                     : kind == Kind::AfterContract             ? QueryStatus::Expected
                                                               : QueryStatus::Failed;
        }
        cp.old_results.push_back(o);
      }
      for (size_t i = 0; i < req.new_queries.size(); ++i) {
        QueryOutcome o;
        std::vector<std::string> types;  // inferred at each point: the new release binds the new schema's types
        bool ok = prepare_query(c, req.new_queries[i].sql, types, o.error, o.sqlstate);
        if (ok) {
          o.parameter_types = types;
        } else {
          o.status = kind == Kind::Before ? QueryStatus::NotRequired : QueryStatus::Failed;
        }
        cp.new_results.push_back(o);
      }
    } catch (...) {
      err = db::current_exception_result(name).error;
      return false;
    }
    for (auto* v : {&cp.old_results, &cp.new_results})
      for (auto& o : *v) rep.failed += o.status == QueryStatus::Failed;
    rep.points.push_back(std::move(cp));
    return true;
  };

  if (!check_point("before", before_url, Kind::Before)) return setup_failed(err);

  if (!rep.staged) {
    std::string url;
    if (!shadow.create("written", url, err, before)) return setup_failed(err);
    log("check-queries: running " + migration.path + " as written");
    if (!run_as_written(url, migration, err)) return setup_failed("the migration as written fails: " + err);
    if (!check_point("after-migration", url, Kind::During)) return setup_failed(err);
    rep.setup_ok = true;
    rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return rep;
  }

  // The plan through the executor, from a copy of `before`.
  ScratchDir scratch;
  if (!write_scratch_migration(scratch, req.migration_path, migration, err)) return setup_failed(err);
  executor::FaultPointsOff no_faults;  // PGSTAGE_FAULT counts the real apply's steps, not these
  auto run_plan = [&](const std::string& url, const planner::Plan& plan, std::string& e) {
    bool used = false;
    executor::ApplyRequest ar =
        plan_request(scratch, url, "pgstage-check-expand", req.history, req.lint, req.rules, plan, used);
    executor::ApplyResult first = executor::apply_migrations(ar);
    if (first.exit_code != 0) {
      e = "the plan failed in the executor: " + exec_error(first);
      return false;
    }
    if (!used) {
      e = "the executor found nothing unsafe in the migration and ran it as written; the plan was not run";
      return false;
    }
    return true;
  };

  bool has_backfill = !req.plan.steps_of(planner::Phase::Backfill).empty();
  if (has_backfill) {
    // After expand, before the backfill: a copy that runs the expand steps only.
    planner::Plan expand_only = req.plan;
    std::erase_if(expand_only.steps, [](const planner::Step& s) { return s.phase != planner::Phase::Expand; });
    std::string url;
    if (!shadow.create("expand", url, err, before)) return setup_failed(err);
    log("check-queries: running the plan's expand through the executor");
    if (!run_plan(url, expand_only, err)) return setup_failed(err);
    if (!check_point("after-expand", url, Kind::During)) return setup_failed(err);
  }
  std::string staged_url;
  if (!shadow.create("staged", staged_url, err, before)) return setup_failed(err);
  log(std::string("check-queries: running the plan's expand") + (has_backfill ? " and backfill" : "") +
      " through the executor");
  if (!run_plan(staged_url, req.plan, err)) return setup_failed(err);
  if (!check_point(has_backfill ? "after-backfill" : "after-expand", staged_url, Kind::During))
    return setup_failed(err);
  if (req.plan.has_contract()) {
    log("check-queries: mark-deployed, then the plan's contract through the executor");
    // The expand is recorded as done for release pgstage-check-expand: once it is marked deployed,
    // the next apply runs the pending contract.
    if (auto r = executor::mark_deployed(staged_url, "pgstage-check-expand"); !r.ok)
      return setup_failed("mark-deployed: " + r.error);
    bool used = false;
    executor::ApplyRequest ar = plan_request(scratch, staged_url, "pgstage-check-contract", req.history, req.lint,
                                             req.rules, req.plan, used);
    executor::ApplyResult second = executor::apply_migrations(ar);
    if (second.exit_code != 0) return setup_failed("the contract failed in the executor: " + exec_error(second));
    if (!check_point("after-contract", staged_url, Kind::AfterContract)) return setup_failed(err);
  }
  rep.setup_ok = true;
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return rep;
}

}  // namespace pgstage::verify
