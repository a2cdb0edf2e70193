// `pgstage baseline DIR --database-url URL [--up-to FILE] [--verify]`: adopt pgstage on a database
// whose migrations already ran. Records the migrations of DIR up to FILE as applied (with the
// checksums `apply` computes) without running them, in one transaction, refusing (nothing written)
// when the state already has any of them. --verify first replays those files on a temporary
// cluster and compares that schema with the database's, recording nothing when they differ.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <pqxx/pqxx>

#include "analyzer/lower.h"
#include "analyzer/parse.h"
#include "cli/commands.h"
#include "executor/apply.h"
#include "db/live_schema.h"
#include "db/redact.h"
#include "db/pg.h"
#include "executor/state.h"
#include "db/temp_cluster.h"

namespace fs = std::filesystem;

namespace pgstage::cli {

namespace {

struct BaselineArgs {
  std::string dir;
  std::string url;
  std::string up_to;
  std::string release = "baseline";
  std::string layout = "auto";
  std::vector<std::string> exclude;
  bool verify = false;
  bool dry_run = false;
  double wait_lock = 60;
};

// The index of the last migration to record: --up-to names a migration by its name in the state
// table (path relative to DIR), its file name, or its path.
bool find_up_to(const std::vector<executor::MigrationFile>& files, const std::string& up_to, size_t& last,
                std::string& err) {
  std::error_code ec;
  auto canon = fs::weakly_canonical(up_to, ec);
  std::vector<size_t> hits;
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec2;
    if (files[i].name == up_to || (!ec && fs::weakly_canonical(files[i].file.path, ec2) == canon)) {
      last = i;
      return true;
    }
    if (fs::path(files[i].file.path).filename() == up_to) hits.push_back(i);
  }
  if (hits.size() == 1) {
    last = hits[0];
    return true;
  }
  if (hits.size() > 1) {
    err = "--up-to " + up_to + ": more than one migration has that file name (" + files[hits[0]].name + ", " +
          files[hits[1]].name + "); give its path";
    return false;
  }
  err = "--up-to " + up_to + ": not a migration of this directory (its migrations run from " + files.front().name +
        " to " + files.back().name + ")";
  return false;
}

// ---- --verify: the migrations replayed on a temporary cluster vs the database -------------------

std::string yes_no(bool b, const char* yes, const char* no) { return b ? yes : no; }

std::string default_text(const CatalogColumn& c) {
  return c.default_expr ? "default " + c.default_expr->sql : "no default";
}

std::string parenthesized_list(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return "(" + out + ")";
}

const char* constraint_kind(ConstraintKind k) {
  switch (k) {
    case ConstraintKind::Check:
      return "CHECK";
    case ConstraintKind::ForeignKey:
      return "FOREIGN KEY";
    case ConstraintKind::Unique:
      return "UNIQUE";
    case ConstraintKind::PrimaryKey:
      return "PRIMARY KEY";
    case ConstraintKind::Exclusion:
      return "EXCLUDE";
    default:
      return "NOT NULL";
  }
}

std::string constraint_text(const CatalogConstraint& k) {
  std::string s = constraint_kind(k.kind);
  if (k.kind != ConstraintKind::Check) s += " " + parenthesized_list(k.columns);  // a CHECK's expression names its columns
  if (!k.ref_table.empty()) s += " REFERENCES " + k.ref_table.str() + " " + parenthesized_list(k.ref_columns);
  if (!k.check_sql.empty()) s += " " + k.check_sql;
  if (!k.validated) s += " NOT VALID";
  return s;
}

std::string index_text(const CatalogIndex& i) {
  return std::string(i.unique ? "UNIQUE " : "") + "on " + i.table.str() + " " + parenthesized_list(i.columns) +
         (i.valid ? "" : " INVALID");
}

// One line per difference, "the database" first, "the migrations" second. pgstage's own schema is
// not compared.
std::vector<std::string> schema_differences(const Catalog& db, const Catalog& files) {
  std::vector<std::string> out;
  auto ours = [](const QualifiedName& n) { return n.schema == "pgstage"; };
  std::map<std::string, std::pair<const CatalogTable*, const CatalogTable*>> tables;
  for (auto* t : db.tables())
    if (!ours(t->name)) tables[Catalog::key(t->name)].first = t;
  for (auto* t : files.tables())
    if (!ours(t->name)) tables[Catalog::key(t->name)].second = t;
  for (auto& [_, pair] : tables) {
    auto [d, f] = pair;
    if (!f) {
      out.push_back(d->kind + " " + d->name.str() + ": in the database, not created by the migrations");
      continue;
    }
    if (!d) {
      out.push_back(f->kind + " " + f->name.str() + ": created by the migrations, missing from the database");
      continue;
    }
    std::string t = f->name.str();
    if (d->kind != f->kind)
      out.push_back(t + ": a " + d->kind + " in the database, a " + f->kind + " in the migrations");
    for (auto& dc : d->columns) {
      const CatalogColumn* fc = f->column(dc.name);
      std::string c = "column " + t + "." + dc.name;
      if (!fc) {
        out.push_back(c + ": in the database, not created by the migrations");
        continue;
      }
      if (dc.type.str() != fc->type.str())
        out.push_back(c + ": type " + dc.type.str() + " in the database, " + fc->type.str() + " in the migrations");
      if (dc.not_null != fc->not_null)
        out.push_back(c + ": " + yes_no(dc.not_null, "NOT NULL", "nullable") + " in the database, " +
                      yes_no(fc->not_null, "NOT NULL", "nullable") + " in the migrations");
      if (default_text(dc) != default_text(*fc))
        out.push_back(c + ": " + default_text(dc) + " in the database, " + default_text(*fc) + " in the migrations");
      if (dc.identity != fc->identity || dc.generated != fc->generated)
        out.push_back(c + ": " + yes_no(dc.identity, "identity", yes_no(dc.generated, "generated", "plain").c_str()) +
                      " in the database, " +
                      yes_no(fc->identity, "identity", yes_no(fc->generated, "generated", "plain").c_str()) +
                      " in the migrations");
    }
    for (auto& fc : f->columns)
      if (!d->column(fc.name))
        out.push_back("column " + t + "." + fc.name + ": created by the migrations, missing from the database");
    for (auto& dk : d->constraints) {
      const CatalogConstraint* fk = f->constraint(dk.name);
      std::string k = "constraint " + dk.name + " on " + t;
      if (!fk)
        out.push_back(k + ": in the database (" + constraint_text(dk) + "), not created by the migrations");
      else if (constraint_text(dk) != constraint_text(*fk))
        out.push_back(k + ": " + constraint_text(dk) + " in the database, " + constraint_text(*fk) +
                      " in the migrations");
    }
    for (auto& fk : f->constraints)
      if (!d->constraint(fk.name))
        out.push_back("constraint " + fk.name + " on " + t + ": created by the migrations (" + constraint_text(fk) +
                      "), missing from the database");
  }
  std::map<std::string, std::pair<const CatalogIndex*, const CatalogIndex*>> indexes;
  auto index_key = [](const CatalogIndex* i) { return Catalog::key(QualifiedName{i->table.schema, i->name}); };
  for (auto* i : db.indexes())
    if (!ours(i->table)) indexes[index_key(i)].first = i;
  for (auto* i : files.indexes())
    if (!ours(i->table)) indexes[index_key(i)].second = i;
  for (auto& [_, pair] : indexes) {
    auto [d, f] = pair;
    if (!f)
      out.push_back("index " + d->name + ": in the database (" + index_text(*d) + "), not created by the migrations");
    else if (!d)
      out.push_back("index " + f->name + ": created by the migrations (" + index_text(*f) +
                    "), missing from the database");
    else if (index_text(*d) != index_text(*f))
      out.push_back("index " + d->name + ": " + index_text(*d) + " in the database, " + index_text(*f) +
                    " in the migrations");
  }
  std::map<std::string, std::pair<const CatalogObject*, const CatalogObject*>> objects;
  for (auto* o : db.objects())
    if (!ours(o->name)) objects[o->kind + ":" + Catalog::key(o->name)].first = o;
  for (auto* o : files.objects())
    if (!ours(o->name)) objects[o->kind + ":" + Catalog::key(o->name)].second = o;
  for (auto& [_, pair] : objects) {
    auto [d, f] = pair;
    if (!f)
      out.push_back(d->kind + " " + d->name.str() + ": in the database, not created by the migrations");
    else if (!d)
      out.push_back(f->kind + " " + f->name.str() + ": created by the migrations, missing from the database");
    else if (d->values != f->values)
      out.push_back(d->kind + " " + d->name.str() + ": values " + parenthesized_list(d->values) + " in the database, " +
                    parenthesized_list(f->values) + " in the migrations");
  }
  return out;
}

// Runs the files' statements on an empty database, each on its own (autocommit; BEGIN/COMMIT
// written in a file are skipped), as they ran when they were applied. Fills `err` naming the
// file, line and column of a statement that fails.
bool replay(const std::vector<executor::MigrationFile>& files, size_t count, const std::string& url, std::string& err) {
  pqxx::connection c(url);
  for (size_t i = 0; i < count; ++i) {
    const SourceFile& f = files[i].file;
    for (auto& st : parse_source(f).statements) {
      bool tx_control = false;
      for (auto& ch : lower(st, f).changes) tx_control = tx_control || ch.is<TransactionControl>();
      if (tx_control) continue;
      try {
        pqxx::nontransaction tx(c);
        tx.exec(st.text(f));
      } catch (const std::exception& e) {
        Position p = f.position(st.begin);
        err = f.path + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) +
              ": replaying it on the temporary cluster failed: " + e.what();
        while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
        return false;
      }
    }
  }
  return true;
}

// 0: the schemas match; 1: they differ (listed on stdout) or the replay failed; 2: no cluster.
int verify(const std::vector<executor::MigrationFile>& files, size_t count, const std::string& url) {
  db::TempCluster cluster;
  std::string err;
  if (!cluster.start(err)) {
    std::cerr << "pgstage baseline: --verify needs a temporary Postgres cluster (initdb, pg_ctl): " << err << "\n";
    return kExitUsage;
  }
  Catalog expected, live;
  try {
    std::string temp_url = cluster.fresh_database("baseline");
    if (!replay(files, count, temp_url, err)) {
      std::cerr << "pgstage baseline: --verify: " << err << "\nnothing was recorded\n";
      return kExitFailed;
    }
    if (!db::read_live_catalog(temp_url, expected, err)) {
      std::cerr << "pgstage baseline: --verify: " << err << "\n";
      return kExitFailed;
    }
  } catch (const std::exception& e) {
    std::cerr << "pgstage baseline: --verify: the temporary cluster failed: " << e.what() << "\n";
    return kExitFailed;
  }
  if (!db::read_live_catalog(url, live, err)) {
    std::cerr << "pgstage baseline: " << err << "\n";
    return kExitFailed;
  }
  auto diffs = schema_differences(live, expected);
  std::string range = files.front().name + (count > 1 ? " .. " + files[count - 1].name : std::string());
  if (diffs.empty()) {
    std::cout << "verify: the database's schema matches " << range << " replayed on a temporary cluster ("
              << expected.tables().size() << " tables, " << expected.indexes().size() << " indexes compared)\n";
    return kExitOk;
  }
  std::cout << "verify: the database's schema differs from " << range << " replayed on a temporary cluster ("
            << diffs.size() << " difference" << (diffs.size() == 1 ? "" : "s") << "):\n";
  for (auto& d : diffs) std::cout << "  " << d << "\n";
  std::cerr << "pgstage baseline: the schema differs from the migrations; nothing was recorded (fix the database or "
               "choose another --up-to)\n";
  return kExitFailed;
}

int run_baseline(BaselineArgs a) {
  if (a.url.empty())
    if (const char* env = std::getenv("PGSTAGE_DATABASE_URL")) a.url = env;
  if (a.url.empty()) {
    std::cerr << "pgstage baseline: --database-url (or PGSTAGE_DATABASE_URL) is required\n";
    return kExitUsage;
  }
  auto layout = parse_layout(a.layout);
  if (!layout) {
    std::cerr << "pgstage baseline: unknown --layout `" << a.layout << "`\n";
    return kExitUsage;
  }
  std::vector<executor::MigrationFile> files;
  std::string err;
  if (!executor::load_migration_files(a.dir, *layout, a.exclude, files, err)) {
    std::cerr << "pgstage baseline: " << err << "\n";
    return kExitUsage;
  }
  size_t last = files.size() - 1;
  if (!a.up_to.empty() && !find_up_to(files, a.up_to, last, err)) {
    std::cerr << "pgstage baseline: " << err << "\n";
    return kExitUsage;
  }
  size_t count = last + 1;

  executor::Connection conn;
  if (auto r = conn.open(a.url); !r.ok) {
    std::cerr << "pgstage baseline: " << db::redact_secrets(r.error, a.url) << "\n";
    return kExitFailed;
  }
  // Refuse what the state already has before the (slow) verification.
  executor::State state;
  if (auto r = executor::load_state(conn, state); !r.ok) {
    std::cerr << "pgstage baseline: " << db::redact_secrets(r.error, a.url) << "\n";
    return kExitFailed;
  }
  std::vector<std::string> already;
  for (size_t i = 0; i < count; ++i)
    if (state.migration(files[i].name)) already.push_back(files[i].name);
  auto refuse = [&](const std::vector<std::string>& names) {
    for (auto& n : names) std::cerr << "pgstage baseline: " << n << ": already recorded in the pgstage state\n";
    std::cerr << "pgstage baseline: refused: " << names.size() << " of the " << count
              << " migrations are already recorded; nothing was written (use --up-to to stop before them, or "
                 "`pgstage status` to see the state)\n";
    return kExitFailed;
  };
  if (!already.empty()) return refuse(already);

  if (a.verify)
    if (int rc = verify(files, count, a.url); rc != kExitOk) return rc;

  if (a.dry_run) {
    for (size_t i = 0; i < count; ++i)
      std::cout << "would record " << files[i].name << "  " << files[i].checksum << "\n";
    std::cout << "dry run: nothing was recorded\n";
    return kExitOk;
  }
  // Not while an apply runs: it could be applying these very files.
  if (auto r = executor::acquire_apply_lock(conn, a.wait_lock); !r.ok) {
    std::cerr << "pgstage baseline: " << db::redact_secrets(r.error, a.url) << "\n";
    return kExitFailed;
  }
  std::vector<executor::MigrationState> rows;
  for (size_t i = 0; i < count; ++i) rows.push_back({files[i].name, files[i].checksum, a.release, "applied"});
  if (auto r = executor::record_baseline(conn, rows, a.release, already); !r.ok) {
    if (!already.empty()) return refuse(already);
    std::cerr << "pgstage baseline: " << db::redact_secrets(r.error, a.url) << "; nothing was written\n";
    return kExitFailed;
  }
  for (size_t i = 0; i < count; ++i) std::cout << "recorded " << files[i].name << "  " << files[i].checksum << "\n";
  std::cout << "baseline: " << count << " migration" << (count == 1 ? "" : "s") << " recorded as applied (release "
            << a.release << ") without running them";
  if (count < files.size())
    std::cout << "; `pgstage apply` runs the " << files.size() - count << " after " << files[last].name;
  std::cout << "\n";
  return kExitOk;
}

}  // namespace

void add_baseline_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<BaselineArgs>();
  CLI::App* cmd = app.add_subcommand(
      "baseline", "Record migrations that already ran (before pgstage) as applied, without running them");
  cmd->add_option("migrations_dir", a->dir, "Directory of migrations")->required();
  cmd->add_option("--database-url", a->url, "Postgres URL (or PGSTAGE_DATABASE_URL; the password is never printed)");
  cmd->add_option("--up-to", a->up_to,
                  "The last migration that already ran (its name, file name or path); default: all of them");
  cmd->add_flag("--verify", a->verify,
                "First replay those migrations on a temporary cluster and compare its schema with the database's "
                "(tables, columns, indexes, constraints); record nothing if they differ");
  cmd->add_flag("--dry-run", a->dry_run, "Show what would be recorded; write nothing");
  cmd->add_option("--release", a->release, "Release name to record them under (default: baseline)");
  cmd->add_option("--layout", a->layout,
                  "Migration layout (auto, plain, golang-migrate, flyway, diesel, prisma, goose, dbmate)");
  cmd->add_option("--exclude", a->exclude, "Skip files matching this glob (repeatable), as for apply");
  cmd->add_option("--wait-lock", a->wait_lock, "Seconds to wait for a running apply to finish (default 60)");
  cmd->callback([a, &exit_code] { exit_code = run_baseline(*a); });
}

}  // namespace pgstage::cli
