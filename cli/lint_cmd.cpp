#include <unistd.h>

#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "cli/report.h"
#include "rules/registry.h"

namespace pgstage::cli {
bool load_schema_source(const std::string& database_url, const std::string& schema_file, Catalog& out, std::string& err);
}

namespace pgstage::cli {

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
  std::string layout = "auto";
  std::string transaction = "auto";
  std::string runner = "external";
  std::vector<std::string> disable, enable, exclude;
  int jobs = 0;
  std::string database_url, schema_file;  // live schema as history (read-only), or a snapshot file
  double large_table_rows = 1e6;
};

int run_lint_command(const LintArgs& a) {
  LintOptions opts;
  opts.settings.pg_version = a.pg_version;
  auto fail_on = parse_severity(a.fail_on);
  if (!fail_on) {
    std::cerr << "pgstage lint: --fail-on must be error, warning or hint (got `" << a.fail_on << "`)\n";
    return kExitUsage;
  }
  opts.fail_on = *fail_on;
  auto layout = parse_layout(a.layout);
  if (!layout) {
    std::cerr << "pgstage lint: unknown --layout `" << a.layout << "`\n";
    return kExitUsage;
  }
  opts.layout = *layout;
  opts.settings.transaction = a.transaction == "per-file" ? TxMode::PerFile : a.transaction == "none" ? TxMode::None : TxMode::Auto;
  opts.settings.runner = a.runner == "pgstage" ? Runner::Pgstage : Runner::External;
  for (auto& id : a.disable) {
    if (!rules::find(id)) {
      std::cerr << "pgstage lint: unknown rule `" << id << "` in --disable (see `pgstage rules`)\n";
      return kExitUsage;
    }
    opts.disable.insert(id);
  }
  for (auto& id : a.enable) {
    if (!rules::find(id)) {
      std::cerr << "pgstage lint: unknown rule `" << id << "` in --enable (see `pgstage rules`)\n";
      return kExitUsage;
    }
    opts.enable.insert(id);
  }
  opts.history = a.history;
  opts.no_history = a.no_history;
  opts.exclude = a.exclude;
  opts.jobs = a.jobs;
  opts.large_table_rows = a.large_table_rows;
  Catalog live;
  if (!a.database_url.empty() || !a.schema_file.empty()) {
    std::string err;
    if (!load_schema_source(a.database_url, a.schema_file, live, err)) {
      std::cerr << "pgstage lint: " << err << "\n";
      return kExitUsage;
    }
    opts.base_catalog = &live;
    opts.no_history = true;  // the database (or its snapshot) is the history
  }

  std::vector<LintInput> inputs;
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
  LintResult result = run_lint(inputs, rules::all(), opts);

  ReportOptions ro;
  ro.fail_on = opts.fail_on;
  ro.color = a.color == "always" || (a.color == "auto" && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
  if (a.format == "json") std::cout << render_json(result, ro);
  else std::cout << render_text(result, ro);
  for (auto& e : result.errors) std::cerr << "pgstage lint: " << e << "\n";
  if (!result.errors.empty()) return kExitUsage;
  return result.fails(opts.fail_on) ? kExitFailed : kExitOk;
}

}  // namespace

void add_lint_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<LintArgs>();
  CLI::App* cmd = app.add_subcommand("lint", "Report statements that break the running release or stall its traffic");
  cmd->add_option("paths", args->paths, "Migration files or directories (- for stdin)")->required();
  cmd->add_option("-f,--format", args->format, "Output format")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--fail-on", args->fail_on, "Exit 1 when a finding is at or above this severity (error|warning|hint)");
  cmd->add_option("--pg-version", args->pg_version, "Target Postgres major version")->check(CLI::Range(9, 18));
  cmd->add_option("--history", args->history, "Replay these files or directories as schema history first");
  cmd->add_flag("--no-history", args->no_history, "Do not replay earlier migrations of the file's directory");
  cmd->add_option("--stdin-name", args->stdin_name, "File name to report for stdin input");
  cmd->add_option("--color", args->color, "Colour output")->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_option("--layout", args->layout, "Migration layout (auto, plain, golang-migrate, flyway, diesel, prisma, goose, dbmate)");
  cmd->add_option("--transaction", args->transaction, "Whether the runner wraps each file in a transaction")
      ->check(CLI::IsMember({"auto", "per-file", "none"}));
  cmd->add_option("--runner", args->runner, "Who runs the migrations")->check(CLI::IsMember({"external", "pgstage"}));
  cmd->add_option("--disable", args->disable, "Turn a rule off (repeatable)");
  cmd->add_option("--enable", args->enable, "Turn an off-by-default rule on (repeatable)");
  cmd->add_option("--exclude", args->exclude, "Skip files matching this glob (repeatable)");
  cmd->add_option("-j,--jobs", args->jobs, "Parser threads (default: all cores)");
  cmd->add_option("--database-url", args->database_url,
                  "Read the schema and table sizes from this database as history (read-only connection; the password is never printed)");
  cmd->add_option("--schema", args->schema_file, "Read the schema from a `pgstage snapshot` file instead")
      ->excludes(cmd->get_option("--database-url"));
  cmd->add_option("--large-table-rows", args->large_table_rows,
                  "Raise findings on tables with more estimated rows than this by one level (default 1000000)");
  cmd->callback([args, &exit_code] { exit_code = run_lint_command(*args); });
}

}  // namespace pgstage::cli
