// `pgstage check-queries MIGRATION --queries OLD [--new-queries NEW] (--temp-cluster | --shadow-url URL)`:
// the running release's queries PREPAREd on a throwaway database at every point of the migration's
// plan (issue #17). Exit 0 every query works where it must, 1 one does not, 2 usage or setup error.

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "analyzer/history.h"
#include "analyzer/lint.h"
#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/schema_start.h"
#include "db/redact.h"
#include "planner/planner.h"
#include "queries/queries.h"
#include "rules/registry.h"
#include "verify/check_queries.h"

namespace fs = std::filesystem;

namespace pgstage::cli {

namespace {

struct CheckQueriesArgs {
  std::string path;
  std::string old_source, new_source;
  std::string database_url;
  std::string stats_database, stats_role;
  bool temp_cluster = false;
  std::string shadow_url;
  std::string format = "text";
  PlanFlags plan_flags;  // the file, --history, --no-history, --pg-version, --timezone, --transaction, --batch-size
  PlanArgs plan;         // those merged with pgstage.toml's [plan]: the plan is the one `plan` makes
};

bool load_source(const CheckQueriesArgs& a, const std::string& source, std::vector<queries::Query>& out,
                 std::string& note, std::string& err) {
  if (!queries::is_stats_source(source)) return queries::load_query_files(source, out, err);
  if (a.database_url.empty()) {
    err = "--queries pg_stat_statements needs --database-url (or $PGSTAGE_DATABASE_URL)";
    return false;
  }
  queries::StatsSkipped skipped;
  if (!queries::load_pg_stat_statements(a.database_url, {a.stats_database, a.stats_role}, out, skipped, err))
    return false;
  note = "pg_stat_statements on " + db::redact_url(a.database_url) + ": " + std::to_string(out.size()) +
         " queries read; left out: " + std::to_string(skipped.pgstage) + " of pgstage's own, " +
         std::to_string(skipped.utility) + " not queries (utility statements), " + std::to_string(skipped.unparsed) +
         " that do not parse";
  return true;
}

std::string query_label(const std::string& release, const queries::Query& q) {
  return release + " query " + q.origin + ": " + queries::one_line(q.sql);
}

std::string render_text(const std::string& path, const verify::QueryCheckReport& r, const std::string& start) {
  std::string out = "check-queries " + path + " (" +
                    (r.staged ? "staged: checked after each phase of its plan" : "not staged: checked as written") +
                    ") on a " + r.shadow + (start.empty() ? "" : ", starting from " + start) + ": " +
                    std::to_string(r.old_queries.size()) + " old and " + std::to_string(r.new_queries.size()) +
                    " new queries\n";
  for (auto& p : r.points) {
    size_t old_ok = 0, new_ok = 0;
    for (auto& o : p.old_results) old_ok += o.status == verify::QueryStatus::Ok;
    for (auto& o : p.new_results) new_ok += o.status == verify::QueryStatus::Ok;
    out += p.name + ": " + std::to_string(old_ok) + "/" + std::to_string(p.old_results.size()) + " old ok";
    if (!p.new_results.empty())
      out += ", " + std::to_string(new_ok) + "/" + std::to_string(p.new_results.size()) + " new ok";
    out += "\n";
    auto lines = [&](const std::vector<verify::QueryOutcome>& results, const std::vector<queries::Query>& qs,
                     const std::string& release) {
      for (size_t i = 0; i < results.size(); ++i) {
        auto& o = results[i];
        if (o.status == verify::QueryStatus::Ok) continue;
        std::string tag = o.status == verify::QueryStatus::Failed          ? "FAILED " + p.name
                          : o.status == verify::QueryStatus::Expected      ? "expected (only the new release runs now)"
                          : o.status == verify::QueryStatus::FailingBefore ? "already failing before the migration"
                                                                           : "not required yet";
        out += "  " + tag + ": " + query_label(release, qs[i]) + "\n    " + o.error +
               (o.sqlstate.empty() ? "" : " (SQLSTATE " + o.sqlstate + ")") + "\n";
      }
    };
    lines(p.old_results, r.old_queries, "old");
    lines(p.new_results, r.new_queries, "new");
  }
  if (r.failed == 0)
    out += "ok: every query works where it must\n";
  else
    out += "FAILED: " + std::to_string(r.failed) + " failure(s) of a query at a point where its release still runs\n";
  return out;
}

nlohmann::ordered_json render_json(const std::string& path, const verify::QueryCheckReport& r,
                                   const std::vector<std::string>& notes, const std::string& start) {
  using J = nlohmann::ordered_json;
  J doc;
  doc["version"] = 1;
  doc["tool"] = {{"name", "pgstage"}, {"version", PGSTAGE_VERSION}};
  doc["migration"] = path;
  doc["staged"] = r.staged;
  doc["shadow"] = r.shadow;
  doc["start"] = start.empty() ? "history" : start;
  J qs = J::array();
  auto add_queries = [&](const std::vector<queries::Query>& v, const std::string& release) {
    for (size_t i = 0; i < v.size(); ++i) {
      J q;
      q["id"] = release + "-" + std::to_string(i + 1);
      q["release"] = release;
      q["origin"] = v[i].origin;
      if (v[i].from_stats) {
        q["source"] = "pg_stat_statements";
        q["queryid"] = v[i].queryid;
        q["calls"] = v[i].calls;
      } else {
        q["source"] = "file";
        q["file"] = v[i].file;
        q["line"] = v[i].line;
        q["column"] = v[i].column;
      }
      q["sql"] = v[i].sql;
      qs.push_back(q);
    }
  };
  add_queries(r.old_queries, "old");
  add_queries(r.new_queries, "new");
  doc["queries"] = qs;
  J points = J::array();
  for (auto& p : r.points) {
    J results = J::array();
    auto add = [&](const std::vector<verify::QueryOutcome>& v, const std::string& release) {
      for (size_t i = 0; i < v.size(); ++i) {
        J o;
        o["query"] = release + "-" + std::to_string(i + 1);
        o["status"] = std::string(verify::status_name(v[i].status));
        o["parameter_types"] = v[i].parameter_types;
        if (v[i].status != verify::QueryStatus::Ok) {
          o["error"] = v[i].error;
          o["sqlstate"] = v[i].sqlstate;
        }
        results.push_back(o);
      }
    };
    add(p.old_results, "old");
    add(p.new_results, "new");
    points.push_back({{"name", p.name}, {"results", results}});
  }
  doc["points"] = points;
  doc["notes"] = notes;
  doc["summary"] = {{"queries", r.old_queries.size() + r.new_queries.size()},
                    {"points", r.points.size()},
                    {"failed", r.failed},
                    {"ok", r.failed == 0}};
  return doc;
}

int run_check_queries(const CheckQueriesArgs& a) {
  auto usage = [](const std::string& e) {
    std::cerr << "pgstage check-queries: " << e << "\n";
    return kExitUsage;
  };
  if (a.temp_cluster == !a.shadow_url.empty())
    return usage("give exactly one of --temp-cluster and --shadow-url URL (where the throwaway databases live)");
  std::vector<std::string> notes;
  std::string err, note;
  verify::QueryCheckRequest req;
  if (!load_source(a, a.old_source, req.old_queries, note, err)) return usage(err);
  if (!note.empty()) notes.push_back(note);
  note.clear();
  if (!a.new_source.empty()) {
    if (!load_source(a, a.new_source, req.new_queries, note, err)) return usage(err);
    if (!note.empty()) notes.push_back(note);
  }

  const PlanArgs& pa = a.plan;
  LintSettings settings = plan_settings(pa);
  // The schema before the file: a live database or a snapshot when given, else its history.
  std::optional<SchemaStart> start;
  if (!pa.schema_url.empty() || !pa.schema_file.empty()) {
    start.emplace();
    if (!load_schema_start(pa.schema_url, pa.schema_file, true, *start, err)) return usage(err);
  }
  LintOptions lo;
  lo.settings = settings;
  lo.history = pa.history;
  lo.no_history = pa.no_history || start;
  if (start) lo.base_catalog = &start->catalog;
  lo.keep_analysis = true;
  lo.plannable = planner::has_recipe;
  LintResult lint = run_lint({LintInput{pa.path, false, {}}}, rules::all(), lo);
  if (!lint.errors.empty() || lint.analyses.empty())
    return usage(lint.errors.empty() ? pa.path + ": nothing to check" : lint.errors.front());
  planner::PlanOptions po;
  po.settings = settings;
  po.batch_size = pa.batch_size;
  planner::PlanResult plan = planner::make_plan(lint.analyses.front(), po);
  if (!plan.ok) return usage(plan.error);

  if (start) {
    req.start_sql = start->sql;
    req.start_source = start->source;
  } else {
    req.history = history_before(pa.history, pa.path, pa.no_history, err);
    if (!err.empty()) return usage(err);
  }
  req.migration_path = pa.path;
  req.plan = plan.plan;
  req.shadow_url = a.shadow_url;
  req.lint.settings = settings;
  if (start) req.lint.base_catalog = &start->catalog;
  req.rules = rules::all();
  req.log = [](const std::string& l) { std::cerr << l << "\n"; };
  verify::QueryCheckReport r = verify::check_queries(req);
  for (auto& n : notes) std::cerr << "note: " << n << "\n";
  if (!r.setup_ok) return usage("the check could not run: " + db::redact_secrets(r.error, a.database_url));
  if (a.format == "json")
    std::cout << render_json(pa.path, r, notes, req.start_source).dump(2) << "\n";
  else
    std::cout << render_text(pa.path, r, req.start_source);
  return r.failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace

void add_check_queries_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<CheckQueriesArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check-queries",
      "PREPARE the running release's queries on a throwaway database before the migration and after each phase of "
      "its plan (exit 1 when a query fails where its release still runs)");
  cmd->add_option("migration", a->plan_flags.path, "The migration file to check")->required();
  cmd->add_option("--queries", a->old_source,
                  "The running (old) release's queries: a .sql file, a directory of .sql files, or "
                  "pg_stat_statements (with --database-url)")
      ->required();
  cmd->add_option("--new-queries", a->new_source, "The queries of the release being deployed (same forms)");
  cmd->add_option("--database-url", a->database_url,
                  "Read pg_stat_statements here, read-only (default $PGSTAGE_DATABASE_URL)")
      ->envname("PGSTAGE_DATABASE_URL");
  cmd->add_option("--stats-database", a->stats_database,
                  "pg_stat_statements: only statements of this database (default: the URL's; * for all)");
  cmd->add_option("--stats-role", a->stats_role, "pg_stat_statements: only statements run by this role");
  cmd->add_flag("--temp-cluster", a->temp_cluster, "Check on a temporary Postgres cluster (initdb, removed after)");
  cmd->add_option("--shadow-url", a->shadow_url,
                  "Check on this server instead (scratch databases are created and dropped)");
  PlanFlags& pf = a->plan_flags;
  cmd->add_option("--history", pf.history, "Replay these files or directories as schema history first")
      ->allow_extra_args(false);
  add_bool_flag(*cmd, "--no-history", pf.no_history, "Do not replay earlier migrations of the file's directory");
  cmd->add_option("--schema", pf.schema_file,
                  "Start from the schema in this `pgstage snapshot` file (its SQL) instead of replaying the migrations "
                  "before the file");
  cmd->add_option("--schema-url", pf.schema_url,
                  "Start from the schema of this database (read-only, pg_dump --schema-only; may be --database-url's) "
                  "instead of replaying the migrations before the file");
  cmd->add_option("--pg-version", pf.pg_version, "Target Postgres major version")->check(CLI::Range(9, 18));
  cmd->add_option("--timezone", pf.timezone, "The session TimeZone migrations run with (as for plan)");
  cmd->add_option("--transaction", pf.transaction, "Whether the runner wraps each file in a transaction (as for plan)")
      ->check(CLI::IsMember({"auto", "per-file", "none"}));
  cmd->add_option("--batch-size", pf.batch_size, "Rows per backfill batch (as for plan)")->check(CLI::Range(1, 1000000));
  cmd->add_option("-f,--format", a->format, "Output format")->check(CLI::IsMember({"text", "json"}));
  add_config_flags(*cmd, pf.config);
  cmd->callback([a, &exit_code] {
    // The plan checked is the one `plan` makes: pgstage.toml's [plan] settings apply.
    exit_code = configure("check-queries", a->plan_flags.config,
                          [&](const Config& c, std::string& e) { return resolve_plan(a->plan_flags, c, a->plan, e); })
                    ? run_check_queries(*a)
                    : kExitUsage;
  });
}

}  // namespace pgstage::cli
