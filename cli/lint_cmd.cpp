#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <optional>

#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/git.h"
#include "cli/report.h"
#include "planner/planner.h"
#include "rules/registry.h"

namespace fs = std::filesystem;

namespace pgstage::cli {
// Defined in cli/snapshot_cmd.cpp: the live database or a snapshot file as a Catalog.
bool load_schema_source(const std::string& database_url, const std::string& schema_file, Catalog& out,
                        std::string& err);

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

int run_lint_command(const LintArgs& a) {
  std::string err;
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
  if (a.format == "json") opts.sink = &json.emplace(json_indent);
  LintResult result = run_lint(inputs, rules::all(), opts);

  ReportOptions ro;
  ro.fail_on = opts.fail_on;
  ro.json_indent = json_indent;
  ro.max_bytes = a.max_bytes;
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
  auto f = std::make_shared<LintFlags>();
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
  cmd->callback([f, &exit_code] {
    LintArgs a;
    exit_code = configure("lint", f->config, [&](const Config& c, std::string& e) { return resolve_lint(*f, c, a, e); })
                    ? run_lint_command(a)
                    : kExitUsage;
  });
}

}  // namespace pgstage::cli
