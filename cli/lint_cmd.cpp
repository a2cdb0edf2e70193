#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>

#include "cli/schema_start.h"
#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/git.h"
#include "cli/report.h"
#include "analyzer/query_refs.h"
#include "planner/planner.h"
#include "queries/queries.h"
#include "rules/registry.h"

namespace fs = std::filesystem;

namespace pgstage::cli {
namespace {

// The result of a large run is a few hundred thousand objects (findings, statements, the catalog):
// the OS reclaims them at exit faster than their destructors run. Sanitizer builds tear down
// normally so leak checks still see everything.
void exit_without_teardown(int rc) {
#ifdef PGSTAGE_SANITIZERS
  (void)rc;
#else
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(rc);
#endif
}

std::string render(const std::string& format, const LintResult& result, const ReportOptions& ro) {
  if (format == "json") return render_json(result, ro);
  if (format == "sarif") return render_sarif(result, ro);
  if (format == "github") return render_github(result, ro);
  if (format == "gitlab") return render_gitlab(result, ro);
  if (format == "markdown") return render_markdown(result, ro);
  return render_text(result, ro);
}

// `lint --queries`: each compatibility finding gets the running release's queries that use what its
// statement changes (resolved against the schema before the file); with none, it becomes a hint.
void attach_query_evidence(LintResult& result, const std::vector<queries::Query>& qs,
                           std::map<std::string, QueryEvidence>& out, std::vector<std::string>& unresolved_notes) {
  std::map<const FileAnalysis*, std::vector<QueryRefs>> refs;
  std::set<std::string> noted;
  for (auto& f : result.findings) {
    if (f.category != Category::Compat) continue;
    const FileAnalysis* an = nullptr;
    size_t idx = 0;
    for (auto& a : result.analyses) {
      if (!a.file || a.file->path != f.file) continue;
      for (size_t i = 0; i < a.statements.size(); ++i)
        if (f.begin >= a.statements[i].begin && f.begin <= a.statements[i].end) {
          an = &a;
          idx = i;
        }
    }
    if (!an || idx >= an->lowered.size() || !an->catalog_before) continue;
    std::vector<ChangedObject> objects = changed_objects(an->lowered[idx]);
    if (objects.empty()) continue;
    auto& rs = refs[an];
    if (rs.empty())
      for (auto& q : qs) rs.push_back(resolve_query(q.sql, *an->catalog_before));
    QueryEvidence e;
    for (auto& o : objects) e.objects.push_back(o.str());
    for (size_t i = 0; i < qs.size(); ++i) {
      if (!rs[i].resolved) {
        e.unresolved.push_back({qs[i].origin, rs[i].unresolved});
        if (noted.insert(qs[i].origin).second)
          unresolved_notes.push_back(qs[i].origin + ": " + rs[i].unresolved + ": " + queries::one_line(qs[i].sql, 80));
        continue;
      }
      ++e.checked;
      for (auto& o : objects)
        if (uses(rs[i], o)) {
          e.using_queries.push_back({qs[i].origin, qs[i].sql});
          break;
        }
    }
    std::string what;
    for (auto& o : e.objects) what += (what.empty() ? "" : ", ") + o;
    std::string unresolved =
        e.unresolved.empty() ? "" : "; " + std::to_string(e.unresolved.size()) + " could not be resolved";
    if (e.using_queries.empty()) {
      if (e.unresolved.empty()) {
        f.severity = Severity::Hint;
        f.message +=
            " [no query of the running release uses " + what + ": " + std::to_string(e.checked) + " queries checked]";
      } else {
        f.message += " [no resolved query of the running release uses " + what + ": " + std::to_string(e.checked) +
                     " queries checked" + unresolved + "]";
      }
    } else {
      std::string list;
      for (size_t i = 0; i < e.using_queries.size() && i < 3; ++i)
        list +=
            (i ? "; " : "") + e.using_queries[i].first + " `" + queries::one_line(e.using_queries[i].second, 60) + "`";
      if (e.using_queries.size() > 3) list += "; ...";
      f.message += " [" + std::to_string(e.using_queries.size()) + " of " + std::to_string(e.checked) +
                   " queries of the running release use " + what + ": " + list + unresolved + "]";
    }
    out[f.fingerprint] = std::move(e);
  }
}

int run_lint_command(const LintArgs& a, const std::string& queries_source) {
  std::string err;
  std::vector<queries::Query> qs;
  if (!queries_source.empty()) {
    queries::StatsSkipped skipped;
    bool ok = queries::is_stats_source(queries_source)
                  ? (a.database_url.empty() ? (err = "--queries pg_stat_statements needs --database-url", false)
                                            : queries::load_pg_stat_statements(a.database_url, {}, qs, skipped, err))
                  : queries::load_query_files(queries_source, qs, err);
    if (!ok) {
      std::cerr << "pgstage lint: --queries: " << err << "\n";
      return kExitUsage;
    }
  }
  LintOptions opts = a.options;
  opts.plannable = planner::has_recipe;

  Catalog live;
  if (!a.database_url.empty() || !a.schema_file.empty()) {
    if (!load_schema_source(a.database_url, a.schema_file, live, err)) {
      std::cerr << "pgstage lint: " << err << "\n";
      return kExitUsage;
    }
    opts.base_catalog = &live;
    opts.no_history = true;  // the database (or its snapshot) is the history
  }

  std::vector<LintInput> inputs;
  if (!a.since.empty()) {
    if (!since_inputs(a.since, a.paths, opts, inputs, err)) {
      std::cerr << "pgstage lint: --since " << a.since << ": " << err << "\n";
      return kExitUsage;
    }
  } else {
    for (auto& p : a.paths) {
      if (p == "-") {
        LintInput in;
        in.is_stdin = true;
        in.path = a.stdin_name;
        in.stdin_text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        inputs.push_back(std::move(in));
      } else {
        inputs.push_back(LintInput{p, false, {}});
      }
    }
  }
  opts.keep_sources = a.format == "text";  // only the text report quotes source lines
  // JSON for a program (a file, a pipe) is compact; on a terminal it is indented for reading.
  int json_indent = a.json_style == "pretty" || (a.json_style == "auto" && isatty(STDOUT_FILENO)) ? 2 : -1;
  std::optional<JsonStream> json;
  if (!qs.empty())
    opts.keep_analysis = true;  // the evidence needs each statement's Changes and schema
  else if (a.format == "json")
    opts.sink = &json.emplace(json_indent);
  LintResult result = run_lint(inputs, rules::all(), opts);
  std::map<std::string, QueryEvidence> evidence;
  if (!qs.empty()) {
    std::vector<std::string> notes;
    attach_query_evidence(result, qs, evidence, notes);
    std::cerr << "pgstage lint: --queries: " << qs.size() << " queries of the running release";
    if (!notes.empty()) std::cerr << "; " << notes.size() << " could not be resolved (counted on each finding):";
    std::cerr << "\n";
    for (auto& n : notes) std::cerr << "  " << n << "\n";
  }

  ReportOptions ro;
  ro.fail_on = opts.fail_on;
  ro.json_indent = json_indent;
  ro.max_bytes = a.max_bytes;
  ro.query_evidence = evidence.empty() ? nullptr : &evidence;
  ro.color = a.color == "always" || (a.color == "auto" && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
  if (json) {
    if (!json->finish(result, ro, std::cout, err)) {
      std::cerr << "pgstage lint: " << err << "\n";
      exit_without_teardown(kExitUsage);
      return kExitUsage;
    }
  } else {
    std::cout << render(a.format, result, ro);
  }
  for (auto& w : result.warnings) std::cerr << "pgstage lint: warning: " << w << "\n";
  for (auto& e : result.errors) std::cerr << "pgstage lint: " << e << "\n";
  int rc = !result.errors.empty() ? kExitUsage : result.fails(opts.fail_on) ? kExitFailed : kExitOk;
  exit_without_teardown(rc);
  return rc;
}

}  // namespace

void add_lint_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<LintFlags>();
  auto queries_source = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("lint", "Report statements that break the running release or stall its traffic");
  cmd->add_option("paths", f->paths,
                  "Migration files or directories (- for stdin; default: `migrations` from pgstage.toml)");
  cmd->add_option("-f,--format", f->format,
                  "Output format: text, json, sarif, github (workflow commands), gitlab "
                  "(Code Quality), markdown (a pull-request comment)")
      ->check(CLI::IsMember({"text", "json", "sarif", "github", "gitlab", "markdown"}));
  cmd->add_option("--max-bytes", f->max_bytes,
                  "--format markdown: stop at a whole entry past this size, with a note (default 60000; a GitHub "
                  "comment holds 65536 characters)")
      ->check(CLI::Range(size_t(1024), size_t(100000000)));
  cmd->add_option("--fail-on", f->fail_on, "Exit 1 when a finding is at or above this severity (error|warning|hint)");
  cmd->add_option("--pg-version", f->pg_version, "Target Postgres major version")->check(CLI::Range(9, 18));
  cmd->add_option("--timezone", f->timezone,
                  "The session TimeZone migrations run with (e.g. UTC): decides whether timestamp <-> timestamptz "
                  "rewrites the table");
  cmd->add_option("--history", f->history, "Replay these files or directories as schema history first")
      ->allow_extra_args(false);
  add_bool_flag(*cmd, "--no-history", f->no_history, "Do not replay earlier migrations of the file's directory");
  cmd->add_option("--stdin-name", f->stdin_name, "File name to report for stdin input");
  cmd->add_option("--color", f->color, "Colour output")->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_option("--json-style", f->json_style,
                  "--format json layout: compact (one line), pretty (indented), auto (pretty on a terminal, else "
                  "compact)")
      ->check(CLI::IsMember({"auto", "pretty", "compact"}));
  cmd->add_option("--layout", f->layout,
                  "Migration layout (auto, plain, golang-migrate, flyway, diesel, prisma, goose, dbmate)");
  cmd->add_option("--transaction", f->transaction, "Whether the runner wraps each file in a transaction")
      ->check(CLI::IsMember({"auto", "per-file", "none"}));
  cmd->add_option("--runner", f->runner, "Who runs the migrations")->check(CLI::IsMember({"external", "pgstage"}));
  cmd->add_option("--disable", f->disable, "Turn a rule off (repeatable)")->allow_extra_args(false)->delimiter(',');
  cmd->add_option("--enable", f->enable, "Turn an off-by-default rule on (repeatable)")
      ->allow_extra_args(false)
      ->delimiter(',');
  cmd->add_option("--exclude", f->exclude, "Skip files matching this glob (repeatable)")->allow_extra_args(false);
  cmd->add_option("--large-table", f->large_tables, "Raise findings on this table one severity level (repeatable)")
      ->allow_extra_args(false)
      ->delimiter(',');
  cmd->add_option(
      "-j,--jobs", f->jobs,
      "Threads that read, parse and review files, the reviewing one included (default: all cores; 1: no threads)");
  cmd->add_option("--database-url", f->database_url,
                  "Read the schema and table sizes from this database as history (read-only connection; the password "
                  "is never printed)");
  cmd->add_option("--schema", f->schema_file, "Read the schema from a `pgstage snapshot` file instead")
      ->excludes(cmd->get_option("--database-url"));
  cmd->add_option("--large-table-rows", f->large_table_rows,
                  "Raise findings on tables with more estimated rows than this by one level (default 1000000)");
  add_config_flags(*cmd, f->config);
  cmd->add_option("--since", f->since,
                  "Lint only migrations added or changed since this git ref (committed or not); the other "
                  "migrations are history");
  cmd->add_option("--queries", *queries_source,
                  "The running release's queries (a .sql file, a directory of .sql files, or pg_stat_statements "
                  "with --database-url): each compatibility finding lists those that use what it changes, and "
                  "becomes a hint when none does");
  cmd->callback([f, queries_source, &exit_code] {
    LintArgs a;
    exit_code = configure("lint", f->config, [&](const Config& c, std::string& e) { return resolve_lint(*f, c, a, e); })
                    ? run_lint_command(a, *queries_source)
                    : kExitUsage;
  });
}

}  // namespace pgstage::cli
