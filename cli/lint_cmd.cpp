#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <optional>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/git.h"
#include "cli/report.h"
#include "planner/planner.h"
#include "rules/registry.h"

namespace fs = std::filesystem;

namespace pgstage::cli {
// Defined in cli/snapshot_cmd.cpp: the live database or a snapshot file as a Catalog.
bool load_schema_source(const std::string& database_url, const std::string& schema_file, Catalog& out, std::string& err);

namespace {

struct LintArgs {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string fail_on = "error";
  int pg_version = 15;
  std::vector<std::string> history;
  bool no_history = false;
  std::string stdin_name = "<stdin>";
  std::string color = "auto";
  std::string json_style = "auto";
  std::string layout = "auto";
  std::string transaction = "auto";
  std::string runner = "external";
  std::vector<std::string> disable, enable, exclude, large_tables;
  int jobs = 0;
  std::string database_url, schema_file;  // live schema as history (read-only), or a snapshot file
  double large_table_rows = 0;             // 0: from pgstage.toml or the default
  std::string config;
  bool no_config = false;
  std::string since;
};

TxMode tx_mode(const std::string& s) {
  return s == "per-file" ? TxMode::PerFile : s == "none" ? TxMode::None : TxMode::Auto;
}

// Builds the lint options: defaults, then pgstage.toml, then the flags given on the command line.
bool build_options(const LintArgs& a, const CLI::App& cmd, const Config& cfg, LintOptions& opts, std::string& err) {
  auto given = [&](const char* flag) { return cmd.count(flag) > 0; };
  const LintConfig& c = cfg.lint;

  opts.settings.pg_version = given("--pg-version") ? a.pg_version : c.pg_version.value_or(15);

  if (given("--fail-on")) {
    auto f = parse_severity(a.fail_on);
    if (!f) {
      err = "--fail-on must be error, warning or hint (got `" + a.fail_on + "`)";
      return false;
    }
    opts.fail_on = *f;
  } else {
    opts.fail_on = c.fail_on.value_or(Severity::Error);
  }

  std::string layout = given("--layout") ? a.layout : c.layout.value_or("auto");
  auto l = parse_layout(layout);
  if (!l) {
    err = "unknown --layout `" + layout + "`";
    return false;
  }
  opts.layout = *l;
  opts.settings.transaction = tx_mode(given("--transaction") ? a.transaction : c.transaction.value_or("auto"));
  std::string runner = given("--runner") ? a.runner : c.runner.value_or("external");
  opts.settings.runner = runner == "pgstage" ? Runner::Pgstage : Runner::External;

  // Rules: the file's on/off/severity first; a flag naming a rule wins over the file.
  for (auto& id : c.enable) opts.enable.insert(id);
  for (auto& id : c.disable) opts.disable.insert(id);
  opts.severity = c.severity;
  for (auto& id : a.enable) {
    if (!rules::find(id)) {
      err = "unknown rule `" + id + "` in --enable (see `pgstage rules`)";
      return false;
    }
    opts.enable.insert(id);
    opts.disable.erase(id);
  }
  for (auto& id : a.disable) {
    if (!rules::find(id)) {
      err = "unknown rule `" + id + "` in --disable (see `pgstage rules`)";
      return false;
    }
    opts.disable.insert(id);
    opts.enable.erase(id);
  }

  opts.history = a.history;
  opts.no_history = a.no_history;
  opts.exclude = c.exclude;
  opts.exclude.insert(opts.exclude.end(), a.exclude.begin(), a.exclude.end());
  for (auto& t : c.large_tables) opts.large_tables.insert(t);
  for (auto& t : a.large_tables) opts.large_tables.insert(t);
  if (c.large_table_rows) opts.large_table_rows = *c.large_table_rows;
  if (given("--large-table-rows")) opts.large_table_rows = a.large_table_rows;
  opts.jobs = a.jobs;
  return true;
}

// The paths to lint: those on the command line, else the config's migrations directory.
bool lint_paths(const LintArgs& a, const Config& cfg, std::vector<std::string>& out, std::string& err) {
  if (!a.paths.empty()) {
    out = a.paths;
    return true;
  }
  if (cfg.lint.migrations) {
    fs::path p(*cfg.lint.migrations);
    out.push_back(p.is_absolute() ? p.string() : (fs::path(cfg.dir) / p).lexically_normal().string());
    return true;
  }
  err = cfg.path.empty() ? "no migrations given: pass files or directories, or set `migrations` in pgstage.toml"
                         : "no migrations given: pass files or directories, or set `migrations` in " + cfg.path;
  return false;
}

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
  return render_text(result, ro);
}

int run_lint_command(const LintArgs& a, const CLI::App& cmd) {
  Config cfg;
  std::string err;
  if (!a.no_config) {
    std::optional<std::string> explicit_path;
    if (!a.config.empty()) explicit_path = a.config;
    if (!resolve_config(explicit_path, cfg, err)) {
      std::cerr << "pgstage lint: " << err << "\n";
      return kExitUsage;
    }
  }
  LintOptions opts;
  std::vector<std::string> paths;
  if (!build_options(a, cmd, cfg, opts, err) || !lint_paths(a, cfg, paths, err)) {
    std::cerr << "pgstage lint: " << err << "\n";
    return kExitUsage;
  }
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
    if (!since_inputs(a.since, paths, opts, inputs, err)) {
      std::cerr << "pgstage lint: --since " << a.since << ": " << err << "\n";
      return kExitUsage;
    }
  } else {
    for (auto& p : paths) {
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
  if (a.format == "json") opts.sink = &json.emplace(json_indent);
  LintResult result = run_lint(inputs, rules::all(), opts);

  ReportOptions ro;
  ro.fail_on = opts.fail_on;
  ro.json_indent = json_indent;
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
  for (auto& e : result.errors) std::cerr << "pgstage lint: " << e << "\n";
  int rc = !result.errors.empty() ? kExitUsage : result.fails(opts.fail_on) ? kExitFailed : kExitOk;
  exit_without_teardown(rc);
  return rc;
}

}  // namespace

void add_lint_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<LintArgs>();
  CLI::App* cmd = app.add_subcommand("lint", "Report statements that break the running release or stall its traffic");
  cmd->add_option("paths", args->paths,
                   "Migration files or directories (- for stdin; default: `migrations` from pgstage.toml)");
  cmd->add_option("-f,--format", args->format, "Output format: text, json, sarif, github (workflow commands), gitlab "
                                               "(Code Quality)")
      ->check(CLI::IsMember({"text", "json", "sarif", "github", "gitlab"}));
  cmd->add_option("--fail-on", args->fail_on, "Exit 1 when a finding is at or above this severity (error|warning|hint)");
  cmd->add_option("--pg-version", args->pg_version, "Target Postgres major version")->check(CLI::Range(9, 18));
  cmd->add_option("--history", args->history, "Replay these files or directories as schema history first");
  cmd->add_flag("--no-history", args->no_history, "Do not replay earlier migrations of the file's directory");
  cmd->add_option("--stdin-name", args->stdin_name, "File name to report for stdin input");
  cmd->add_option("--color", args->color, "Colour output")->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_option("--json-style", args->json_style,
                  "--format json layout: compact (one line), pretty (indented), auto (pretty on a terminal, else "
                  "compact)")
      ->check(CLI::IsMember({"auto", "pretty", "compact"}));
  cmd->add_option("--layout", args->layout, "Migration layout (auto, plain, golang-migrate, flyway, diesel, prisma, goose, dbmate)");
  cmd->add_option("--transaction", args->transaction, "Whether the runner wraps each file in a transaction")
      ->check(CLI::IsMember({"auto", "per-file", "none"}));
  cmd->add_option("--runner", args->runner, "Who runs the migrations")->check(CLI::IsMember({"external", "pgstage"}));
  cmd->add_option("--disable", args->disable, "Turn a rule off (repeatable)");
  cmd->add_option("--enable", args->enable, "Turn an off-by-default rule on (repeatable)");
  cmd->add_option("--exclude", args->exclude, "Skip files matching this glob (repeatable)");
  cmd->add_option("--large-table", args->large_tables, "Raise findings on this table one severity level (repeatable)");
  cmd->add_option("-j,--jobs", args->jobs, "Threads that read, parse and review files, the reviewing one included (default: all cores; 1: no threads)");
  cmd->add_option("--database-url", args->database_url,
                  "Read the schema and table sizes from this database as history (read-only connection; the password is never printed)");
  cmd->add_option("--schema", args->schema_file, "Read the schema from a `pgstage snapshot` file instead")
      ->excludes(cmd->get_option("--database-url"));
  cmd->add_option("--large-table-rows", args->large_table_rows,
                  "Raise findings on tables with more estimated rows than this by one level (default 1000000)");
  cmd->add_option("--config", args->config, "Read this config file instead of the pgstage.toml found by walking up");
  cmd->add_flag("--no-config", args->no_config, "Read no config file");
  cmd->add_option("--since", args->since,
                  "Lint only migrations added or changed since this git ref (committed or not); the other "
                  "migrations are history");
  cmd->callback([args, cmd, &exit_code] { exit_code = run_lint_command(*args, *cmd); });
}

}  // namespace pgstage::cli
