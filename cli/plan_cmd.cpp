// `pgstage plan FILE`: stage a migration into expand / backfill / contract.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "analyzer/history.h"
#include "analyzer/lint.h"
#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/schema_start.h"
#include "executor/sha256.h"
#include "planner/planner.h"
#include "rules/registry.h"
#include "verify/verify.h"

namespace fs = std::filesystem;

namespace pgstage::cli {

namespace {

bool write_file(const fs::path& p, const std::string& text, std::string& err) {
  std::ofstream f(p, std::ios::binary);
  f << text;
  f.close();
  if (!f) {
    err = "cannot write " + p.string();
    return false;
  }
  return true;
}

int run_plan_command(const PlanArgs& a) {
  LintSettings settings = plan_settings(a);
  std::string err;
  // The schema before the file: a live database or a snapshot when given, else its history.
  std::optional<SchemaStart> start;
  if (!a.schema_url.empty() || !a.schema_file.empty()) {
    start.emplace();
    if (!load_schema_start(a.schema_url, a.schema_file, a.verify, *start, err)) {
      std::cerr << "pgstage plan: " << err << "\n";
      return kExitUsage;
    }
  }
  // One analysis of the file with its history (the directory's earlier migrations and --history):
  // the plan stages what lint found, with the same ignores.
  LintOptions lo;
  lo.settings = settings;
  lo.history = a.history;
  lo.no_history = a.no_history || start;
  if (start) lo.base_catalog = &start->catalog;
  lo.keep_analysis = true;
  lo.plannable = planner::has_recipe;
  LintResult lint = run_lint({LintInput{a.path, false, {}}}, rules::all(), lo);
  if (!lint.errors.empty() || lint.analyses.empty()) {
    std::cerr << "pgstage plan: " << (lint.errors.empty() ? a.path + ": nothing to plan" : lint.errors.front()) << "\n";
    return kExitUsage;
  }
  const FileAnalysis& analysis = lint.analyses.front();
  const SourceFile& file = *analysis.file;

  planner::PlanOptions po;
  po.settings = settings;
  po.batch_size = a.batch_size;
  planner::PlanResult r = planner::make_plan(analysis, po);
  if (!r.ok) {
    std::cerr << "pgstage plan: " << r.error << "\n";
    return kExitFailed;
  }
  planner::Plan& plan = r.plan;
  plan.source_checksum = executor::sha256_checksum(file.text);

  std::vector<Finding> unplannable = r.unplannable;
  for (auto& f : lint.findings)
    if (f.severity == Severity::Error && !planner::has_recipe(f.rule)) unplannable.push_back(f);

  std::optional<verify::VerifyReport> verified;
  if (a.verify) {
    verify::VerifyRequest vr;
    if (start) {
      vr.start_sql = start->sql;
      vr.start_source = start->source;
      vr.lint.base_catalog = &start->catalog;
    } else {
      vr.history = history_before(a.history, a.path, a.no_history, err);
    }
    if (!err.empty()) {
      std::cerr << "pgstage plan: " << err << "\n";
      return kExitUsage;
    }
    vr.migration_path = a.path;
    vr.plan = plan;
    vr.shadow_url = a.shadow_url;
    vr.lint.settings = settings;
    vr.rules = rules::all();
    vr.log = [](const std::string& l) { std::cerr << l << "\n"; };
    verified = verify::verify_plan(vr);
    plan.verification = verify::summary(*verified);
  }

  if (!a.out.empty()) {
    std::error_code ec;
    fs::create_directories(a.out, ec);
    if (ec) {
      std::cerr << "pgstage plan: cannot create " << a.out << ": " << ec.message() << "\n";
      return kExitUsage;
    }
    int n = 0;
    for (auto phase : {planner::Phase::Expand, planner::Phase::Backfill, planner::Phase::Contract}) {
      std::string name = std::to_string(++n) + "-" + std::string(planner::phase_name(phase)) + ".sql";
      if (!write_file(fs::path(a.out) / name, planner::phase_sql(plan, phase), err)) {
        std::cerr << "pgstage plan: " << err << "\n";
        return kExitUsage;
      }
    }
    if (!write_file(fs::path(a.out) / "plan.json", planner::to_json(plan), err)) {
      std::cerr << "pgstage plan: " << err << "\n";
      return kExitUsage;
    }
  }
  if (a.format == "json") {
    std::cout << planner::to_json(plan);
  } else if (a.format == "markdown") {
    ReportOptions ro;
    ro.max_bytes = a.max_bytes;
    std::cout << render_plan_markdown(plan, unplannable, ro);
  } else {
    std::cout << planner::render_text(plan);
  }
  if (!a.out.empty())
    std::cerr << "pgstage plan: wrote 1-expand.sql, 2-backfill.sql, 3-contract.sql, plan.json to " << a.out << "\n";
  if (verified && a.format != "text") std::cerr << verify::render_report(*verified);
  // `apply` stages a file only when it has an error finding, unless told to stage warnings too.
  bool has_error = std::any_of(lint.findings.begin(), lint.findings.end(),
                               [](const Finding& f) { return f.severity == Severity::Error; });
  bool staged = std::any_of(plan.steps.begin(), plan.steps.end(), [](const planner::Step& s) { return !s.rule.empty(); });
  if (!has_error && staged)
    std::cerr << "note: " << a.path
              << " has warnings but no error: `pgstage apply` runs it as written unless it stages warnings too "
                 "(`--stage-warnings` or `[apply] stage_warnings = true`); then it runs this plan\n";
  bool refused = false;
  for (auto& f : unplannable) {
    std::cerr << f.file << ":" << f.start.line << ":" << f.start.column << ": " << severity_name(f.severity) << "["
              << f.rule << "]: no recipe stages this; it runs as written in expand: " << f.message << "\n";
    refused = refused || f.severity == Severity::Error;
  }
  if (verified && verified->outcome == verify::Outcome::Setup) return kExitUsage;
  if (verified && !verified->verified()) return kExitFailed;
  return refused ? kExitFailed : kExitOk;
}

}  // namespace

void add_plan_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<PlanFlags>();
  CLI::App* cmd =
      app.add_subcommand("plan", "Stage a migration into expand / backfill / contract phases across deploys");
  cmd->add_option("file", f->path, "The migration file to plan")->required();
  cmd->add_option("--history", f->history, "Replay these files or directories as schema history first")
      ->allow_extra_args(false);
  add_bool_flag(*cmd, "--no-history", f->no_history, "Do not replay earlier migrations of the file's directory");
  cmd->add_option("-f,--format", f->format, "Output format (markdown: a pull-request comment)")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  cmd->add_option("--max-bytes", f->max_bytes,
                  "--format markdown: stop at a whole step past this size, with a note (default 60000)")
      ->check(CLI::Range(size_t(1024), size_t(100000000)));
  cmd->add_option("-o,--out", f->out, "Write one SQL file per phase and plan.json to this directory");
  cmd->add_option("--pg-version", f->pg_version, "Target Postgres major version")->check(CLI::Range(9, 18));
  cmd->add_option("--timezone", f->timezone,
                  "The session TimeZone migrations run with (e.g. UTC): decides whether timestamp <-> timestamptz "
                  "rewrites the table");
  cmd->add_option("--batch-size", f->batch_size, "Rows per backfill batch")->check(CLI::Range(1, 1000000));
  cmd->add_option("--transaction", f->transaction, "Whether the runner wraps each file in a transaction")
      ->check(CLI::IsMember({"auto", "per-file", "none"}));
  cmd->add_flag("--verify", f->verify,
                "Prove the plan on a throwaway Postgres: the migration as written and the plan through the executor, "
                "from the same schema and sample rows, must end with the same schema and rows (exit 1 if not)");
  cmd->add_option("--shadow-url", f->shadow_url,
                  "--verify on this server (scratch databases are created and dropped) instead of a temporary cluster");
  cmd->add_option("--schema", f->schema_file,
                  "Start from the schema in this `pgstage snapshot` file instead of replaying the migrations before "
                  "the file (--verify builds its throwaway database from the snapshot's SQL)");
  cmd->add_option("--schema-url", f->schema_url,
                  "Start from the schema of this database (read-only; --verify copies it with pg_dump --schema-only) "
                  "instead of replaying the migrations before the file");
  add_config_flags(*cmd, f->config);
  cmd->callback([f, &exit_code] {
    PlanArgs a;
    exit_code = configure("plan", f->config, [&](const Config& c, std::string& e) { return resolve_plan(*f, c, a, e); })
                    ? run_plan_command(a)
                    : kExitUsage;
  });
}

}  // namespace pgstage::cli
