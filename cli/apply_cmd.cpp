// `pgstage apply`, `pgstage mark-deployed`, `pgstage status`: the executor's commands.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/deploy_run.h"
#include "db/redact.h"
#include "executor/apply.h"
#include "planner/planner.h"
#include "queries/contract_gate.h"
#include "rules/registry.h"
#include "verify/verify.h"

namespace pgstage::cli {

namespace {

using namespace std::chrono;

milliseconds secs(double s) { return milliseconds(static_cast<long long>(s * 1000)); }

// The contract gate's flags (issue #17), beside ApplyFlags.
struct ContractGateFlags {
  double interval = 10;  // seconds between the two pg_stat_statements samples
  bool force = false;    // run the contract anyway (a warning names the statements)
  bool off = false;      // do not sample
};

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gs", s);
  return buf;
}

int run_apply(const ApplyArgs& a, const ContractGateFlags& gate = {}) {
  auto layout = parse_layout(a.layout);
  if (!layout) {
    std::cerr << "pgstage apply: unknown --layout `" << a.layout << "`\n";
    return kExitUsage;
  }
  executor::ApplyRequest req;
  req.migrations_dir = a.dir;
  req.database_url = a.url;
  req.release = a.release;
  req.dry_run = a.dry_run;
  req.wait_lock_seconds = a.wait_lock;
  req.settings.lock_timeout = secs(a.lock_timeout);
  req.settings.lock_retries = a.lock_retries;
  req.settings.retry_base = secs(a.retry_base);
  req.settings.retry_cap = secs(a.retry_cap);
  req.settings.statement_timeout = secs(a.statement_timeout);
  req.settings.long_statement_timeout = secs(a.long_statement_timeout);
  req.settings.batch_statement_timeout = secs(a.batch_statement_timeout);
  req.settings.batch_size = a.batch_size;
  req.settings.batch_pause = secs(a.batch_pause);
  req.lint.settings.pg_version = a.pg_version;
  req.lint.layout = *layout;
  req.lint.exclude = a.exclude;
  req.rules = rules::all();
  req.stage_warnings = a.stage_warnings;
  req.plan = [](const FileAnalysis& f, const planner::PlanOptions& o) { return planner::make_plan(f, o); };
  req.out = [](const std::string& line) { std::cout << line << "\n" << std::flush; };
  if (a.verify) {
    req.verify = [&a, &req](const executor::VerifyTarget& t) -> std::string {
      verify::VerifyRequest vr;
      for (auto* m : t.before) vr.history.push_back(MigrationEntry{m->file.path, m->layout});
      vr.migration_path = t.migration->file.path;
      vr.plan = *t.plan;
      vr.shadow_url = a.shadow_url;
      vr.lint = req.lint;
      vr.rules = req.rules;
      verify::VerifyReport r = verify::verify_plan(vr);
      std::string text = verify::render_report(r);
      if (r.verified()) {
        std::cout << "  " << text << std::flush;
        return "";
      }
      return db::redact_secrets(text, a.shadow_url);
    };
  }
  if (!gate.off) {
    req.contract_gate = [&a, &gate](const std::string& migration, const std::vector<std::string>& sql) -> std::string {
      auto interval = std::chrono::milliseconds(static_cast<long>(gate.interval * 1000));
      std::cout << "contract gate: " << migration << ": sampling pg_stat_statements twice, "
                << seconds_text(gate.interval) << " apart\n"
                << std::flush;
      queries::GateReport r = queries::sample_contract_gate(a.url, sql, interval);
      if (!r.error.empty()) return "the contract gate could not read the database: " + r.error;
      if (!r.available) {
        std::cout << "contract gate: " << migration << ": not checked (" << r.note
                  << "); load pg_stat_statements to have contracts wait for the old release's statements "
                     "(README: contract gate), or pass --no-contract-gate\n";
        return "";
      }
      if (!r.refuse()) return "";
      std::string what;
      for (auto& o : r.objects) what += (what.empty() ? "" : ", ") + o;
      std::string msg = std::to_string(r.running.size()) + " statement(s) using " + what +
                        " still run (their calls grew in " + seconds_text(gate.interval) + "):";
      for (auto& x : r.running) msg += "\n  " + x;
      if (gate.force) {
        std::cerr << "pgstage apply: warning: --force-contract: " << msg << "\n";
        return "";
      }
      return msg + "\n  (stop the release that runs them, or pass --force-contract)";
    };
  }
  req.tty = isatty(STDERR_FILENO);
  if (a.swap) {
    DeployRun run;
    run.config_path = a.config_path;
    run.config = a.deploy;
    run.release = a.release;
    run.database_url = a.url;
    run.verify_load_url = a.verify_load;
    run.predeploy = [&](const std::string&, std::string& err) {
      executor::ApplyResult r = executor::apply_migrations(req);
      for (auto& x : r.refused) std::cerr << "pgstage apply: " << db::redact_secrets(x, a.url) << "\n";
      if (r.exit_code != 0) {
        err = "migrations: " + (r.error.empty() ? std::string("refused") : r.error);
        return false;
      }
      std::cout << "applied: " << r.ran.size() << " as written, " << r.expanded.size() << " expanded, "
                << r.contracted.size() << " contracted\n";
      for (auto& w : r.waiting) std::cout << "pending: " << w << "\n";
      return true;
    };
    run.record = [&](const std::string& url, std::string& err) {
      auto r = executor::mark_deployed(url, a.release);
      if (!r.ok) err = db::redact_secrets(r.error, url);
      return r.ok;
    };
    return run_deploy(run, std::cout, std::cerr);
  }
  executor::ApplyResult r = executor::apply_migrations(req);
  for (auto& x : r.refused) std::cerr << "pgstage apply: " << db::redact_secrets(x, a.url) << "\n";
  if (!r.error.empty()) std::cerr << "pgstage apply: " << r.error << "\n";
  if (r.exit_code == 0 && !a.dry_run) {
    std::cout << "applied: " << r.ran.size() << " as written, " << r.expanded.size() << " expanded, "
              << r.contracted.size() << " contracted\n";
    for (auto& w : r.waiting) std::cout << "pending: " << w << "\n";
  }
  return r.exit_code;
}

int run_mark_deployed(const std::string& release, const std::string& url) {
  auto r = executor::mark_deployed(url, release);
  if (!r.ok) {
    std::cerr << "pgstage mark-deployed: " << db::redact_secrets(r.error, url) << "\n";
    return kExitFailed;
  }
  std::cout << "release " << release << " marked deployed; the next apply runs the contract phases it waited for\n";
  return kExitOk;
}

int run_status(const std::string& url, const std::string& format) {
  executor::StatusReport s;
  auto r = executor::read_status(url, s);
  if (!r.ok) {
    std::cerr << "pgstage status: " << db::redact_secrets(r.error, url) << "\n";
    return kExitFailed;
  }
  if (format == "json") {
    nlohmann::ordered_json j;
    j["version"] = 1;
    j["initialized"] = s.state.exists;
    j["migrations"] = nlohmann::json::array();
    for (auto& m : s.state.migrations)
      j["migrations"].push_back(
          {{"name", m.name}, {"status", m.status}, {"release", m.release}, {"checksum", m.checksum}});
    j["releases"] = nlohmann::json::array();
    for (auto& rel : s.state.releases) j["releases"].push_back({{"name", rel.name}, {"deployed", rel.deployed}});
    j["pending_contracts"] = nlohmann::json::array();
    for (auto& c : s.contracts)
      j["pending_contracts"].push_back(
          {{"migration", c.migration}, {"release", c.release}, {"ready", c.ready}, {"waits_for", c.waits_for}});
    j["backfills"] = nlohmann::json::array();
    for (auto& b : s.backfills)
      j["backfills"].push_back({{"migration", b.state.migration},
                                {"step", b.state.step_id},
                                {"table", b.table},
                                {"rows_done", b.state.rows_done},
                                {"batches", b.state.batches},
                                {"estimated_rows", b.estimated_rows},
                                {"last_key", b.state.last_key},
                                {"updated_at", b.state.updated_at}});
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  if (!s.state.exists) {
    std::cout << "no pgstage state in this database (nothing applied yet)\n";
    return kExitOk;
  }
  std::cout << "migrations:\n";
  for (auto& m : s.state.migrations)
    std::cout << "  " << m.name << "  " << m.status << "  (release " << m.release << ")\n";
  std::cout << "pending contracts:" << (s.contracts.empty() ? " none" : "") << "\n";
  for (auto& c : s.contracts)
    std::cout << "  " << c.migration << ": "
              << (c.ready ? "ready (the release serving now was deployed after its expand); the next apply runs it"
                          : c.waits_for)
              << "\n";
  for (auto& b : s.backfills) {
    std::cout << "backfill in progress: " << b.state.migration << " step " << b.state.step_id << " on " << b.table
              << ": " << b.state.rows_done << " rows in " << b.state.batches << " batches";
    if (b.estimated_rows > 0) std::cout << " of ~" << static_cast<long long>(b.estimated_rows);
    std::cout << " (last update " << b.state.updated_at << ")\n";
  }
  return kExitOk;
}

}  // namespace

void add_apply_commands(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ApplyFlags>();
  auto gate = std::make_shared<ContractGateFlags>();
  CLI::App* cmd =
      app.add_subcommand("apply", "Run pending migrations against Postgres, staging unsafe ones across releases");
  cmd->add_option("migrations_dir", f->dir, "Directory of migrations (default: `migrations` from pgstage.toml)");
  cmd->add_option("--database-url", f->url,
                  "Postgres URL (default: $PGSTAGE_DATABASE_URL, or the variable [apply] database_url_env names)");
  cmd->add_option("--release", f->release, "Name of the application release this apply prepares")->required();
  cmd->add_flag("--dry-run", f->dry_run, "Print exactly what would run, in order; change nothing");
  cmd->add_flag("--no-verify", f->no_verify,
                "Do not prove each new plan on a throwaway Postgres before running anything (verification is on by "
                "default)");
  cmd->add_option("--shadow-url", f->shadow_url,
                  "Verify plans on this server (scratch databases are created and dropped) instead of a temporary "
                  "cluster");
  auto seconds = CLI::Range(0.0, 7 * 24 * 3600.0);
  cmd->add_option("--wait-lock", f->wait_lock, "Seconds to wait for another apply to finish (default 60)")
      ->check(seconds);
  cmd->add_option("--lock-timeout", f->lock_timeout, "Seconds each DDL try waits for its lock (default 2)")
      ->check(seconds);
  cmd->add_option("--lock-retries", f->lock_retries, "Retries after a lock timeout (default 5)")
      ->check(CLI::Range(0, 100));
  cmd->add_option("--retry-base", f->retry_base,
                  "First retry backoff in seconds, doubled each retry, with jitter (default 0.5)")
      ->check(seconds);
  cmd->add_option("--retry-cap", f->retry_cap, "Longest retry backoff in seconds (default 30)")->check(seconds);
  cmd->add_option("--statement-timeout", f->statement_timeout, "Seconds per ordinary DDL step (default 300)")
      ->check(seconds);
  cmd->add_option("--long-statement-timeout", f->long_statement_timeout,
                  "Seconds per CONCURRENTLY build or VALIDATE (default 21600)")
      ->check(seconds);
  cmd->add_option("--batch-statement-timeout", f->batch_statement_timeout, "Seconds per backfill batch (default 60)")
      ->check(seconds);
  cmd->add_option("--batch-size", f->batch_size, "Rows per backfill batch (default: the plan's)")
      ->check(CLI::Range(1, 10000000));
  cmd->add_option("--batch-pause", f->batch_pause, "Seconds to pause between backfill batches (default 0)")
      ->check(seconds);
  cmd->add_option("--pg-version", f->pg_version, "Target Postgres major version")->check(CLI::Range(9, 18));
  cmd->add_option("--layout", f->layout,
                  "Migration layout (auto, plain, golang-migrate, flyway, diesel, prisma, goose, dbmate)");
  cmd->add_option("--exclude", f->exclude, "Skip files matching this glob (repeatable; replaces the file's list)")
      ->allow_extra_args(false);
  cmd->add_option("--verify-load", f->verify_load, "Send GET traffic to URL during the container swap; report errors");
  add_bool_flag(*cmd, "--migrations-only", f->migrations_only,
                "Run the migrations but do not swap the [services] containers");
  add_bool_flag(*cmd, "--stage-warnings", f->stage_warnings,
                "Also stage files whose findings are only warnings (as `pgstage plan` shows them); by default "
                "such a file runs as written");
  cmd->add_option("--contract-gate-interval", gate->interval,
                  "Before a contract: seconds between two samples of pg_stat_statements; the contract is refused "
                  "while statements using what it removes still run (default 10)")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_flag("--force-contract", gate->force,
                "Run a contract the gate refuses (with a warning naming the statements)");
  cmd->add_flag("--no-contract-gate", gate->off, "Do not sample pg_stat_statements before a contract");
  add_config_flags(*cmd, f->config);
  cmd->callback([f, gate, &exit_code] {
    ApplyArgs a;
    exit_code =
        configure("apply", f->config, [&](const Config& c, std::string& e) { return resolve_apply(*f, c, a, e); })
            ? run_apply(a, *gate)
            : kExitUsage;
  });

  struct UrlFlags {
    std::string release, url, format = "text";
    ConfigFlags config;
  };
  auto mf = std::make_shared<UrlFlags>();
  CLI::App* mark =
      app.add_subcommand("mark-deployed", "Record a release as fully deployed (its contract phases may run)");
  mark->add_option("release", mf->release, "Release name")->required();
  mark->add_option("--database-url", mf->url,
                   "Postgres URL (default: $PGSTAGE_DATABASE_URL, or [apply] database_url_env)");
  add_config_flags(*mark, mf->config);
  mark->callback([mf, &exit_code] {
    std::string url;
    exit_code = configure("mark-deployed", mf->config,
                          [&](const Config& c, std::string& e) { return resolve_database_url(mf->url, c, url, e); })
                    ? run_mark_deployed(mf->release, url)
                    : kExitUsage;
  });

  auto sf = std::make_shared<UrlFlags>();
  CLI::App* status = app.add_subcommand("status", "Applied migrations, pending contracts, backfill progress");
  status->add_option("--database-url", sf->url,
                     "Postgres URL (default: $PGSTAGE_DATABASE_URL, or [apply] database_url_env)");
  status->add_option("-f,--format", sf->format, "Output format")->check(CLI::IsMember({"text", "json"}));
  add_config_flags(*status, sf->config);
  status->callback([sf, &exit_code] {
    std::string url;
    exit_code = configure("status", sf->config,
                          [&](const Config& c, std::string& e) { return resolve_database_url(sf->url, c, url, e); })
                    ? run_status(url, sf->format)
                    : kExitUsage;
  });
}

}  // namespace pgstage::cli
