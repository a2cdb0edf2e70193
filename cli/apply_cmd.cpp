// `pgstage apply`, `pgstage mark-deployed`, `pgstage status`: the executor's commands.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/deploy_run.h"
#include "deployer/apply.h"
#include "deployer/pg.h"
#include "planner/planner.h"
#include "rules/registry.h"

namespace pgstage::cli {

namespace {

using namespace std::chrono;

struct ApplyArgs {
  std::string dir;
  std::string url;
  std::string release;
  bool dry_run = false;
  double wait_lock = 60;
  double lock_timeout = 2;
  int lock_retries = deployer::kDefaultLockRetries;
  double retry_base = 0.5;
  double retry_cap = 30;
  double statement_timeout = 300;
  double long_statement_timeout = 6 * 3600;
  double batch_statement_timeout = 60;
  int batch_size = 0;
  double batch_pause = 0;
  int pg_version = 15;
  std::string layout = "auto";
  std::vector<std::string> exclude;
  std::string config;       // pgstage.toml with [deploy]/[services]: swap containers after migrating
  std::string verify_load;  // URL to load during the container swap
  bool migrations_only = false;
};

milliseconds secs(double s) { return milliseconds(static_cast<long long>(s * 1000)); }

bool resolve_url(std::string& url, const char* cmd) {
  if (url.empty()) {
    if (const char* env = std::getenv("PGSTAGE_DATABASE_URL")) url = env;
  }
  if (url.empty()) {
    std::cerr << "pgstage " << cmd << ": --database-url (or PGSTAGE_DATABASE_URL) is required\n";
    return false;
  }
  return true;
}

int run_apply(ApplyArgs a) {
  // With [services] in pgstage.toml, apply = migrations (pre-deploy) -> container swap -> mark deployed.
  std::string config_path, no_config;
  bool swap = !a.dry_run && !a.migrations_only && find_config(a.config, config_path, no_config) &&
              (!a.config.empty() || config_has_services(config_path));
  if (swap && a.url.empty() && !std::getenv("PGSTAGE_DATABASE_URL")) a.url = config_database_url(config_path);
  if (!resolve_url(a.url, "apply")) return kExitUsage;
  auto layout = parse_layout(a.layout);
  if (!layout) {
    std::cerr << "pgstage apply: unknown --layout `" << a.layout << "`\n";
    return kExitUsage;
  }
  deployer::ApplyRequest req;
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
  req.plan = [](const FileAnalysis& f, const planner::PlanOptions& o) { return planner::make_plan(f, o); };
  req.out = [](const std::string& line) { std::cout << line << "\n" << std::flush; };
  req.tty = isatty(STDERR_FILENO);
  if (swap) {
    DeployRun run;
    run.config_path = config_path;
    run.release = a.release;
    run.database_url = a.url;
    run.verify_load_url = a.verify_load;
    run.predeploy = [&](const std::string&, std::string& err) {
      deployer::ApplyResult r = deployer::apply_migrations(req);
      for (auto& x : r.refused) std::cerr << "pgstage apply: " << deployer::redact(x, a.url) << "\n";
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
      auto r = deployer::mark_deployed(url, a.release);
      if (!r.ok) err = deployer::redact(r.error, url);
      return r.ok;
    };
    return run_deploy(run, std::cout, std::cerr);
  }
  deployer::ApplyResult r = deployer::apply_migrations(req);
  for (auto& x : r.refused) std::cerr << "pgstage apply: " << deployer::redact(x, a.url) << "\n";
  if (!r.error.empty()) std::cerr << "pgstage apply: " << r.error << "\n";
  if (r.exit_code == 0 && !a.dry_run) {
    std::cout << "applied: " << r.ran.size() << " as written, " << r.expanded.size() << " expanded, "
              << r.contracted.size() << " contracted\n";
    for (auto& w : r.waiting) std::cout << "pending: " << w << "\n";
  }
  return r.exit_code;
}

int run_mark_deployed(const std::string& release, std::string url) {
  if (!resolve_url(url, "mark-deployed")) return kExitUsage;
  auto r = deployer::mark_deployed(url, release);
  if (!r.ok) {
    std::cerr << "pgstage mark-deployed: " << deployer::redact(r.error, url) << "\n";
    return kExitFailed;
  }
  std::cout << "release " << release << " marked deployed; the next apply runs the contract phases it waited for\n";
  return kExitOk;
}

int run_status(std::string url, const std::string& format) {
  if (!resolve_url(url, "status")) return kExitUsage;
  deployer::StatusReport s;
  auto r = deployer::read_status(url, s);
  if (!r.ok) {
    std::cerr << "pgstage status: " << deployer::redact(r.error, url) << "\n";
    return kExitFailed;
  }
  if (format == "json") {
    nlohmann::ordered_json j;
    j["version"] = 1;
    j["initialized"] = s.state.exists;
    j["migrations"] = nlohmann::json::array();
    for (auto& m : s.state.migrations)
      j["migrations"].push_back({{"name", m.name}, {"status", m.status}, {"release", m.release}, {"checksum", m.checksum}});
    j["releases"] = nlohmann::json::array();
    for (auto& rel : s.state.releases) j["releases"].push_back({{"name", rel.name}, {"deployed", rel.deployed}});
    j["pending_contracts"] = nlohmann::json::array();
    for (auto& c : s.contracts)
      j["pending_contracts"].push_back({{"migration", c.migration}, {"release", c.release}, {"ready", c.ready},
                                        {"waits_for", c.ready ? "" : "pgstage mark-deployed " + c.release}});
    j["backfills"] = nlohmann::json::array();
    for (auto& b : s.backfills)
      j["backfills"].push_back({{"migration", b.state.migration}, {"step", b.state.step_id}, {"table", b.table},
                                {"rows_done", b.state.rows_done}, {"batches", b.state.batches},
                                {"estimated_rows", b.estimated_rows}, {"last_key", b.state.last_key},
                                {"updated_at", b.state.updated_at}});
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  if (!s.state.exists) {
    std::cout << "no pgstage state in this database (nothing applied yet)\n";
    return kExitOk;
  }
  std::cout << "migrations:\n";
  for (auto& m : s.state.migrations) std::cout << "  " << m.name << "  " << m.status << "  (release " << m.release << ")\n";
  std::cout << "pending contracts:" << (s.contracts.empty() ? " none" : "") << "\n";
  for (auto& c : s.contracts)
    std::cout << "  " << c.migration << ": "
              << (c.ready ? "ready (release " + c.release + " is deployed); the next apply runs it"
                          : "waits for release " + c.release + " (pgstage mark-deployed " + c.release + ")")
              << "\n";
  for (auto& b : s.backfills) {
    std::cout << "backfill in progress: " << b.state.migration << " step " << b.state.step_id << " on " << b.table << ": "
              << b.state.rows_done << " rows in " << b.state.batches << " batches";
    if (b.estimated_rows > 0) std::cout << " of ~" << static_cast<long long>(b.estimated_rows);
    std::cout << " (last update " << b.state.updated_at << ")\n";
  }
  return kExitOk;
}

}  // namespace

void add_apply_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ApplyArgs>();
  CLI::App* cmd = app.add_subcommand("apply", "Run pending migrations against Postgres, staging unsafe ones across releases");
  cmd->add_option("migrations_dir", a->dir, "Directory of migrations")->required();
  cmd->add_option("--database-url", a->url, "Postgres URL (or PGSTAGE_DATABASE_URL)");
  cmd->add_option("--release", a->release, "Name of the application release this apply prepares")->required();
  cmd->add_flag("--dry-run", a->dry_run, "Print exactly what would run, in order; change nothing");
  cmd->add_option("--wait-lock", a->wait_lock, "Seconds to wait for another apply to finish (default 60)");
  cmd->add_option("--lock-timeout", a->lock_timeout, "Seconds each DDL try waits for its lock (default 2)");
  cmd->add_option("--lock-retries", a->lock_retries, "Retries after a lock timeout (default 5)")->check(CLI::Range(0, 100));
  cmd->add_option("--retry-base", a->retry_base, "First retry backoff in seconds, doubled each retry, with jitter (default 0.5)");
  cmd->add_option("--retry-cap", a->retry_cap, "Longest retry backoff in seconds (default 30)");
  cmd->add_option("--statement-timeout", a->statement_timeout, "Seconds per ordinary DDL step (default 300)");
  cmd->add_option("--long-statement-timeout", a->long_statement_timeout,
                  "Seconds per CONCURRENTLY build or VALIDATE (default 21600)");
  cmd->add_option("--batch-statement-timeout", a->batch_statement_timeout, "Seconds per backfill batch (default 60)");
  cmd->add_option("--batch-size", a->batch_size, "Rows per backfill batch (default: the plan's)")->check(CLI::Range(1, 10000000));
  cmd->add_option("--batch-pause", a->batch_pause, "Seconds to pause between backfill batches (default 0)");
  cmd->add_option("--pg-version", a->pg_version, "Target Postgres major version")->check(CLI::Range(9, 18));
  cmd->add_option("--layout", a->layout, "Migration layout (auto, plain, golang-migrate, flyway, diesel, prisma, goose, dbmate)");
  cmd->add_option("--exclude", a->exclude, "Skip files matching this glob (repeatable)");
  cmd->add_option("--config", a->config, "pgstage.toml whose [services] are swapped after the migrations (default: nearest)");
  cmd->add_option("--verify-load", a->verify_load, "Send GET traffic to URL during the container swap; report errors");
  cmd->add_flag("--migrations-only", a->migrations_only, "Run the migrations but do not swap containers");
  cmd->callback([a, &exit_code] { exit_code = run_apply(*a); });

  auto release = std::make_shared<std::string>();
  auto murl = std::make_shared<std::string>();
  CLI::App* mark = app.add_subcommand("mark-deployed", "Record a release as fully deployed (its contract phases may run)");
  mark->add_option("release", *release, "Release name")->required();
  mark->add_option("--database-url", *murl, "Postgres URL (or PGSTAGE_DATABASE_URL)");
  mark->callback([release, murl, &exit_code] { exit_code = run_mark_deployed(*release, *murl); });

  auto surl = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("text");
  CLI::App* status = app.add_subcommand("status", "Applied migrations, pending contracts, backfill progress");
  status->add_option("--database-url", *surl, "Postgres URL (or PGSTAGE_DATABASE_URL)");
  status->add_option("-f,--format", *format, "Output format")->check(CLI::IsMember({"text", "json"}));
  status->callback([surl, format, &exit_code] { exit_code = run_status(*surl, *format); });
}

}  // namespace pgstage::cli
