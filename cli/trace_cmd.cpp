#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "analyzer/history.h"
#include "cli/commands.h"
#include "deployer/live_schema.h"
#include "deployer/redact.h"
#include "deployer/temp_cluster.h"
#include "deployer/trace.h"

namespace pgstage::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct TraceArgs {
  std::vector<std::string> paths;
  std::string database_url;
  bool temp_cluster = false;
  bool commit = false;
  bool no_history = false;
  std::string format = "text";
  std::string layout = "auto";
  int pg_version = 15;
};

std::string canonical(const std::string& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

// Files under review and the history before them: a directory is reviewed whole; a file brings
// the earlier migrations of its directory as history.
bool collect_inputs(const TraceArgs& a, Layout layout, std::vector<deploy::TraceInput>& out, std::string& err) {
  std::set<std::string> seen;
  auto add = [&](const std::string& path, Layout l, bool review) {
    std::string canon = canonical(path);
    if (seen.count(canon)) return true;
    deploy::TraceInput in;
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

std::vector<std::pair<std::string, LockMode>> predicted_tables(const deploy::StatementTrace& t) {
  std::vector<std::pair<std::string, LockMode>> out;
  for (auto& tl : t.predicted.tables) out.emplace_back(tl.table.str(), tl.mode);
  return out;
}
std::vector<std::pair<std::string, LockMode>> traced_tables(const deploy::StatementTrace& t) {
  std::vector<std::pair<std::string, LockMode>> out;
  for (auto& tm : t.tables)
    out.emplace_back(tm.table.rfind("public.", 0) == 0 ? tm.table.substr(7) : tm.table, tm.mode);
  return out;
}

std::string first_line(const std::string& sql) {
  std::string s = sql.substr(0, sql.find('\n'));
  return s.size() > 100 ? s.substr(0, 97) + "..." : s;
}

void print_text(const deploy::TraceResult& r, bool rolled_back) {
  for (auto& t : r.statements) {
    std::cout << t.file << ":" << t.start.line << ":" << t.start.column << "  "
              << deploy::trace_status_name(t.status) << "  " << first_line(t.sql) << "\n";
    if (t.status == deploy::TraceStatus::Skipped || t.status == deploy::TraceStatus::Failed) {
      std::cout << "  " << t.error << "\n";
      continue;
    }
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", t.duration_ms);
    std::cout << "  predicted: " << tables_text(predicted_tables(t)) << "; rewrite " << (t.predicted.rewrite ? "yes" : "no")
              << "\n  traced:    " << tables_text(traced_tables(t)) << "; rewrite "
              << (t.rewrite ? "yes" : "no") << "; " << ms << (t.in_transaction ? "" : "; outside a transaction") << "\n";
    for (auto& h : t.already_held) std::cout << "  already held by an earlier statement: " << h << "\n";
    for (auto& d : t.differences) std::cout << "  mismatch: " << d << "\n";
    for (auto& n : t.notes) std::cout << "  note: " << n << "\n";
    for (auto& c : t.catalog_changes) std::cout << "  catalog: " << c << "\n";
  }
  std::cout << r.statements.size() << " statements: " << r.count(deploy::TraceStatus::Confirmed) << " confirmed, "
            << r.count(deploy::TraceStatus::Mismatch) << " mismatch, " << r.count(deploy::TraceStatus::Skipped)
            << " skipped, " << r.count(deploy::TraceStatus::Failed) << " failed; "
            << (r.committed ? "committed" : rolled_back ? "rolled back" : "throwaway cluster removed") << "\n";
}

json lock_json(const std::vector<std::pair<std::string, LockMode>>& tables, LockMode mode) {
  json t = json::array();
  for (auto& [name, m] : tables) t.push_back(json{{"table", name}, {"mode", lock_mode_name(m)}});
  return json{{"mode", lock_mode_name(mode)}, {"tables", t}};
}

void print_json(const deploy::TraceResult& r) {
  json stmts = json::array();
  for (auto& t : r.statements) {
    json locks = json::array();
    for (auto& l : t.locks)
      locks.push_back(json{{"relation", l.relation}, {"relkind", std::string(1, l.relkind)}, {"mode", lock_mode_name(l.mode)},
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
    json s{{"file", t.file}, {"line", t.start.line}, {"column", t.start.column}, {"sql", t.sql}, {"kind", t.kind},
           {"status", deploy::trace_status_name(t.status)}, {"predicted", predicted}, {"differences", t.differences},
           {"notes", t.notes}};
    if (t.status != deploy::TraceStatus::Skipped && t.status != deploy::TraceStatus::Failed) s["traced"] = traced;
    if (!t.error.empty()) s["error"] = t.error;
    stmts.push_back(std::move(s));
  }
  json doc{{"version", 1},
           {"statements", stmts},
           {"summary",
            {{"confirmed", r.count(deploy::TraceStatus::Confirmed)},
             {"mismatch", r.count(deploy::TraceStatus::Mismatch)},
             {"skipped", r.count(deploy::TraceStatus::Skipped)},
             {"failed", r.count(deploy::TraceStatus::Failed)},
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
  std::vector<deploy::TraceInput> inputs;
  std::string err;
  if (!collect_inputs(a, *layout, inputs, err)) {
    std::cerr << "pgstage trace: " << err << "\n";
    return kExitUsage;
  }
  deploy::TraceOptions opts;
  opts.commit = a.commit;
  opts.settings.pg_version = a.pg_version;
  deploy::TempCluster cluster;
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
    if (!deploy::read_live_catalog(a.database_url, live, err)) {
      std::cerr << "pgstage trace: " << err << "\n";
      return kExitFailed;
    }
    opts.base_catalog = &live;
    std::erase_if(inputs, [](const deploy::TraceInput& in) { return !in.review; });
  }
  deploy::TraceResult r = deploy::trace(inputs, opts);
  if (a.format == "json") print_json(r);
  else print_text(r, !a.temp_cluster);
  if (!r.error.empty()) std::cerr << "pgstage trace: " << deploy::redact_secrets(r.error, opts.url) << "\n";
  return r.ok() ? kExitOk : kExitFailed;
}

}  // namespace

void add_trace_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TraceArgs>();
  CLI::App* cmd = app.add_subcommand(
      "trace",
      "Run migrations on a real Postgres and compare the locks, rewrites and catalog changes they cause with "
      "pgstage's prediction.\nWith --database-url everything runs in one transaction that is ROLLED BACK: the "
      "database is never modified unless --commit is given; without --commit, statements that cannot run in a "
      "transaction (CREATE INDEX CONCURRENTLY, ...) are skipped. --temp-cluster starts a throwaway cluster, replays the "
      "earlier migrations into it and removes it afterwards.");
  cmd->add_option("paths", args->paths, "Migration files or directories to trace")->required();
  cmd->add_option("--database-url", args->database_url,
                  "Trace against this database (read-only unless --commit; the password is never printed)");
  cmd->add_flag("--temp-cluster", args->temp_cluster, "Trace against a throwaway local cluster (needs postgresql-15)");
  cmd->add_flag("--commit", args->commit, "Keep the changes (commit) instead of rolling back");
  cmd->add_flag("--no-history", args->no_history, "Do not replay earlier migrations of the file's directory");
  cmd->add_option("-f,--format", args->format, "Output format")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--layout", args->layout, "Migration layout (auto, plain, golang-migrate, flyway, ...)");
  cmd->add_option("--pg-version", args->pg_version, "Postgres major version for the prediction")->check(CLI::Range(9, 18));
  cmd->callback([args, &exit_code] { exit_code = run_trace_command(*args); });
}

}  // namespace pgstage::cli
