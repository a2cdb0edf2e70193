#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "analyzer/history.h"
#include "cli/command_options.h"
#include "cli/commands.h"
#include "db/live_schema.h"
#include "db/redact.h"
#include "db/temp_cluster.h"
#include "trace/trace.h"

namespace pgstage::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string canonical(const std::string& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

// Files under review and the history before them: a directory is reviewed whole; a file brings
// the earlier migrations of its directory as history.
bool collect_inputs(const TraceArgs& a, Layout layout, std::vector<trace::TraceInput>& out, std::string& err) {
  std::set<std::string> seen;
  auto add = [&](const std::string& path, Layout l, bool review) {
    std::string canon = canonical(path);
    if (seen.count(canon)) return true;
    trace::TraceInput in;
    in.review = review;
    if (!read_source(path, l, in.file, err)) return false;
    seen.insert(canon);
    out.push_back(std::move(in));
    return true;
  };
  for (auto& p : a.paths) {
    std::error_code ec;
    std::vector<MigrationEntry> entries;
    if (fs::is_directory(p, ec)) {
      if (!list_migrations(p, layout, {}, entries, err)) return false;
      for (auto& e : entries)
        if (!add(e.path, e.layout, true)) return false;
      continue;
    }
    if (!fs::exists(p, ec)) {
      err = p + ": no such file or directory";
      return false;
    }
    Layout l = layout;
    if (!a.no_history) {
      EarlierMigrations earlier = migrations_before(p, canonical(p), layout, {});
      if (earlier.found) l = earlier.layout;
      for (auto& e : earlier.before)
        if (!add(e.path, e.layout, false)) return false;
    }
    if (!add(p, l, true)) return false;
  }
  return true;
}

std::string tables_text(const std::vector<std::pair<std::string, LockMode>>& t) {
  if (t.empty()) return "no lock on existing tables";
  std::string s;
  for (auto& [name, m] : t) s += (s.empty() ? "" : ", ") + std::string(lock_mode_name(m)) + " on " + name;
  return s;
}

std::vector<std::pair<std::string, LockMode>> predicted_tables(const trace::StatementTrace& t) {
  std::vector<std::pair<std::string, LockMode>> out;
  for (auto& tl : t.predicted.tables) out.emplace_back(tl.table.str(), tl.mode);
  return out;
}
std::vector<std::pair<std::string, LockMode>> traced_tables(const trace::StatementTrace& t) {
  std::vector<std::pair<std::string, LockMode>> out;
  for (auto& tm : t.tables)
    out.emplace_back(tm.table.rfind("public.", 0) == 0 ? tm.table.substr(7) : tm.table, tm.mode);
  return out;
}

std::string first_line(const std::string& sql) {
  std::string s = sql.substr(0, sql.find('\n'));
  return s.size() > 100 ? s.substr(0, 97) + "..." : s;
}

void print_text(const trace::TraceResult& r, bool rolled_back) {
  for (auto& t : r.statements) {
    std::cout << t.file << ":" << t.start.line << ":" << t.start.column << "  " << trace::trace_status_name(t.status)
              << "  " << first_line(t.sql) << "\n";
    if (t.status == trace::TraceStatus::Skipped || t.status == trace::TraceStatus::Failed) {
      std::cout << "  " << t.error << "\n";
      continue;
    }
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", t.duration_ms);
    std::cout << "  predicted: " << tables_text(predicted_tables(t)) << "; rewrite "
              << (t.predicted.rewrite ? "yes" : "no") << "\n  traced:    " << tables_text(traced_tables(t))
              << "; rewrite " << (t.rewrite ? "yes" : "no") << "; " << ms
              << (t.in_transaction ? "" : "; outside a transaction") << "\n";
    for (auto& h : t.already_held) std::cout << "  already held by an earlier statement: " << h << "\n";
    for (auto& d : t.differences) std::cout << "  mismatch: " << d << "\n";
    for (auto& n : t.notes) std::cout << "  note: " << n << "\n";
    for (auto& c : t.catalog_changes) std::cout << "  catalog: " << c << "\n";
  }
  std::cout << r.statements.size() << " statements: " << r.count(trace::TraceStatus::Confirmed) << " confirmed, "
            << r.count(trace::TraceStatus::Mismatch) << " mismatch, " << r.count(trace::TraceStatus::Skipped)
            << " skipped, " << r.count(trace::TraceStatus::Failed) << " failed; "
            << (r.committed   ? "committed"
                : rolled_back ? "rolled back"
                              : "throwaway cluster removed")
            << "\n";
}

json lock_json(const std::vector<std::pair<std::string, LockMode>>& tables, LockMode mode) {
  json t = json::array();
  for (auto& [name, m] : tables) t.push_back(json{{"table", name}, {"mode", lock_mode_name(m)}});
  return json{{"mode", lock_mode_name(mode)}, {"tables", t}};
}

void print_json(const trace::TraceResult& r) {
  json stmts = json::array();
  for (auto& t : r.statements) {
    json locks = json::array();
    for (auto& l : t.locks)
      locks.push_back(json{{"relation", l.relation},
                           {"relkind", std::string(1, l.relkind)},
                           {"mode", lock_mode_name(l.mode)},
                           {"created_by_statement", l.new_relation}});
    json predicted = lock_json(predicted_tables(t), t.predicted.mode);
    predicted["rewrite"] = t.predicted.rewrite;
    predicted["rewrite_uncertain"] = t.predicted.rewrite_uncertain;
    predicted["scan"] = t.predicted.scan;
    predicted["transactional"] = t.predicted.transactional;
    json traced = lock_json(traced_tables(t), t.traced_mode());
    traced["locks"] = locks;
    traced["rewrite"] = t.rewrite;
    traced["rewritten"] = t.rewritten;
    traced["catalog_changes"] = t.catalog_changes;
    traced["duration_ms"] = t.duration_ms;
    traced["in_transaction"] = t.in_transaction;
    traced["already_held"] = t.already_held;
    json s{{"file", t.file},           {"line", t.start.line},
           {"column", t.start.column}, {"sql", t.sql},
           {"kind", t.kind},           {"status", trace::trace_status_name(t.status)},
           {"predicted", predicted},   {"differences", t.differences},
           {"notes", t.notes}};
    if (t.status != trace::TraceStatus::Skipped && t.status != trace::TraceStatus::Failed) s["traced"] = traced;
    if (!t.error.empty()) s["error"] = t.error;
    stmts.push_back(std::move(s));
  }
  json doc{{"version", 1},
           {"statements", stmts},
           {"summary",
            {{"confirmed", r.count(trace::TraceStatus::Confirmed)},
             {"mismatch", r.count(trace::TraceStatus::Mismatch)},
             {"skipped", r.count(trace::TraceStatus::Skipped)},
             {"failed", r.count(trace::TraceStatus::Failed)},
             {"committed", r.committed}}}};
  if (!r.error.empty()) doc["error"] = r.error;
  std::cout << doc.dump(2) << "\n";
}

int run_trace_command(const TraceArgs& a) {
  if (a.database_url.empty() == !a.temp_cluster) {
    std::cerr << "pgstage trace: give exactly one of --database-url URL or --temp-cluster\n";
    return kExitUsage;
  }
  auto layout = parse_layout(a.layout);
  if (!layout) {
    std::cerr << "pgstage trace: unknown --layout `" << a.layout << "`\n";
    return kExitUsage;
  }
  std::vector<trace::TraceInput> inputs;
  std::string err;
  if (!collect_inputs(a, *layout, inputs, err)) {
    std::cerr << "pgstage trace: " << err << "\n";
    return kExitUsage;
  }
  trace::TraceOptions opts;
  opts.commit = a.commit;
  opts.settings.pg_version = a.pg_version;
  db::TempCluster cluster;
  Catalog live;
  if (a.temp_cluster) {
    if (!cluster.start(err)) {
      std::cerr << "pgstage trace: cannot start a temporary cluster: " << err << "\n";
      return kExitFailed;
    }
    try {
      opts.url = cluster.fresh_database("trace");
    } catch (const std::exception& e) {
      std::cerr << "pgstage trace: cannot create a database in the temporary cluster: " << e.what() << "\n";
      return kExitFailed;
    }
    opts.throwaway = true;
  } else {
    opts.url = a.database_url;
    // The database is the history: its schema feeds the prediction, earlier files are not replayed.
    if (!db::read_live_catalog(a.database_url, live, err)) {
      std::cerr << "pgstage trace: " << err << "\n";
      return kExitFailed;
    }
    opts.base_catalog = &live;
    std::erase_if(inputs, [](const trace::TraceInput& in) { return !in.review; });
  }
  trace::TraceResult r = trace::trace(inputs, opts);
  if (a.format == "json")
    print_json(r);
  else
    print_text(r, !a.temp_cluster);
  if (!r.error.empty()) std::cerr << "pgstage trace: " << db::redact_secrets(r.error, opts.url) << "\n";
  return r.ok() ? kExitOk : kExitFailed;
}

}  // namespace

void add_trace_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<TraceFlags>();
  CLI::App* cmd = app.add_subcommand(
      "trace",
      "Run migrations on a real Postgres and compare the locks, rewrites and catalog changes they cause with "
      "pgstage's prediction.\nWith --database-url everything runs in one transaction that is ROLLED BACK: the "
      "database is never modified unless --commit is given; without --commit, statements that cannot run in a "
      "transaction (CREATE INDEX CONCURRENTLY, ...) are skipped. --temp-cluster starts a throwaway cluster, replays "
      "the "
      "earlier migrations into it and removes it afterwards.");
  cmd->add_option("paths", f->paths,
                  "Migration files or directories to trace (default: `migrations` from pgstage.toml)");
  cmd->add_option("--database-url", f->database_url,
                  "Trace against this database (read-only unless --commit; the password is never printed)");
  add_bool_flag(*cmd, "--temp-cluster", f->temp_cluster,
                "Trace against a throwaway local cluster (needs postgresql-15)");
  cmd->add_flag("--commit", f->commit, "Keep the changes (commit) instead of rolling back");
  add_bool_flag(*cmd, "--no-history", f->no_history, "Do not replay earlier migrations of the file's directory");
  cmd->add_option("-f,--format", f->format, "Output format")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--layout", f->layout, "Migration layout (auto, plain, golang-migrate, flyway, ...)");
  cmd->add_option("--pg-version", f->pg_version, "Postgres major version for the prediction")->check(CLI::Range(9, 18));
  add_config_flags(*cmd, f->config);
  cmd->callback([f, &exit_code] {
    TraceArgs a;
    exit_code =
        configure("trace", f->config, [&](const Config& c, std::string& e) { return resolve_trace(*f, c, a, e); })
            ? run_trace_command(a)
            : kExitUsage;
  });
}

}  // namespace pgstage::cli
