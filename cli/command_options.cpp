#include "cli/command_options.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "rules/registry.h"

namespace pgstage::cli {

namespace {

template <class T>
T pick(const std::optional<T>& flag, const std::optional<T>& section, const std::optional<T>& project, T fallback) {
  if (flag) return *flag;
  if (section) return *section;
  if (project) return *project;
  return fallback;
}

template <class T>
T pick(const std::optional<T>& flag, const std::optional<T>& section, T fallback) {
  return pick(flag, section, std::optional<T>{}, fallback);
}

std::string env_value(const std::string& name) {
  const char* v = name.empty() ? nullptr : std::getenv(name.c_str());
  return v ? v : "";
}

TxMode tx_mode(const std::string& s) {
  return s == "per-file" ? TxMode::PerFile : s == "none" ? TxMode::None : TxMode::Auto;
}

std::string where_from(const Config& cfg) { return cfg.path.empty() ? std::string("pgstage.toml") : cfg.path; }

}  // namespace

void add_config_flags(CLI::App& cmd, ConfigFlags& flags) {
  auto* opt =
      cmd.add_option("--config", flags.path, "Read this config file instead of the pgstage.toml found by walking up");
  cmd.add_flag("--no-config", flags.none, "Read no config file")->excludes(opt);
}

bool load_project_config(const ConfigFlags& flags, Config& out, std::string& err) {
  if (flags.none) {
    out = Config{};
    out.deploy.state_dir = std::filesystem::absolute(std::string(deploy::kDefaultStateDir)).lexically_normal().string();
    return true;
  }
  std::optional<std::string> explicit_path;
  if (!flags.path.empty()) explicit_path = flags.path;
  return resolve_config(explicit_path, out, err);
}

bool configure(const char* cmd, const ConfigFlags& flags,
               const std::function<bool(const Config& cfg, std::string& err)>& resolve) {
  Config cfg;
  std::string err;
  if (!load_project_config(flags, cfg, err) || !resolve(cfg, err)) {
    std::cerr << "pgstage " << cmd << ": " << err << "\n";
    return false;
  }
  return true;
}

void add_bool_flag(CLI::App& cmd, const std::string& name, std::optional<bool>& target, const std::string& help) {
  cmd.add_flag_function(
      name, [&target](int64_t n) { target = n > 0; }, help);
}

bool resolve_lint(const LintFlags& f, const Config& cfg, LintArgs& out, std::string& err) {
  const LintConfig& c = cfg.lint;
  out = LintArgs{};
  LintOptions& o = out.options;
  o.settings.pg_version = pick(f.pg_version, c.pg_version, 15);
  o.settings.timezone = pick(f.timezone, c.timezone, std::string());
  if (f.fail_on) {
    auto sev = parse_severity(*f.fail_on);
    if (!sev) {
      err = "--fail-on must be error, warning or hint (got `" + *f.fail_on + "`)";
      return false;
    }
    o.fail_on = *sev;
  } else {
    o.fail_on = c.fail_on.value_or(Severity::Error);
  }
  std::string layout = pick(f.layout, c.layout, std::string("auto"));
  auto l = parse_layout(layout);
  if (!l) {
    err = "unknown --layout `" + layout + "`";
    return false;
  }
  o.layout = *l;
  o.settings.transaction = tx_mode(pick(f.transaction, c.transaction, std::string("auto")));
  o.settings.runner =
      pick(f.runner, c.runner, std::string("external")) == "pgstage" ? Runner::Pgstage : Runner::External;

  // Rules: the file's on/off/severity first; a flag naming a rule wins over the file.
  o.enable.insert(c.enable.begin(), c.enable.end());
  o.disable.insert(c.disable.begin(), c.disable.end());
  o.severity = c.severity;
  for (auto& id : f.enable) {
    if (!rules::find(id)) {
      err = "unknown rule `" + id + "` in --enable (see `pgstage rules`)";
      return false;
    }
    o.enable.insert(id);
    o.disable.erase(id);
  }
  for (auto& id : f.disable) {
    if (!rules::find(id)) {
      err = "unknown rule `" + id + "` in --disable (see `pgstage rules`)";
      return false;
    }
    o.disable.insert(id);
    o.enable.erase(id);
  }

  o.history = pick(f.history, c.history, {});
  o.no_history = pick(f.no_history, c.no_history, false);
  o.exclude = c.exclude.value_or(std::vector<std::string>{});
  o.exclude.insert(o.exclude.end(), f.exclude.begin(), f.exclude.end());
  o.large_tables.insert(c.large_tables.begin(), c.large_tables.end());
  o.large_tables.insert(f.large_tables.begin(), f.large_tables.end());
  o.large_table_rows = pick(f.large_table_rows, c.large_table_rows, o.large_table_rows);
  o.jobs = pick(f.jobs, c.jobs, 0);

  out.format = pick(f.format, c.format, out.format);
  out.color = pick(f.color, c.color, out.color);
  out.json_style = pick(f.json_style, c.json_style, out.json_style);
  out.stdin_name = f.stdin_name;
  out.since = f.since;
  out.max_bytes = f.max_bytes;
  // A database or a snapshot on the command line replaces the file's snapshot.
  out.database_url = f.database_url;
  if (f.database_url.empty()) out.schema_file = pick(f.schema_file, c.schema, std::string());

  if (!f.paths.empty()) {
    out.paths = f.paths;
  } else if (c.migrations) {
    out.paths.push_back(*c.migrations);
  } else {
    err = cfg.path.empty() ? "no migrations given: pass files or directories, or set `migrations` in pgstage.toml"
                           : "no migrations given: pass files or directories, or set `migrations` in " + cfg.path;
    return false;
  }
  return true;
}

bool resolve_plan(const PlanFlags& f, const Config& cfg, PlanArgs& out, std::string& err) {
  const PlanConfig& c = cfg.plan;
  out = PlanArgs{};
  out.path = f.path;
  out.out = f.out;
  out.history = pick(f.history, c.history, {});
  out.no_history = pick(f.no_history, c.no_history, false);
  out.format = pick(f.format, c.format, out.format);
  out.pg_version = pick(f.pg_version, c.pg_version, cfg.project.pg_version, out.pg_version);
  out.batch_size = pick(f.batch_size, c.batch_size, out.batch_size);
  out.timezone = pick(f.timezone, c.timezone, cfg.project.timezone, std::string());
  out.max_bytes = f.max_bytes;
  out.transaction = pick(f.transaction, c.transaction, cfg.project.transaction, out.transaction);
  out.verify = f.verify || !f.shadow_url.empty();
  out.shadow_url = f.shadow_url;
  out.schema_url = f.schema_url;
  out.schema_file = f.schema_url.empty() ? pick(f.schema_file, c.schema, std::string()) : f.schema_file.value_or("");
  if (!out.schema_file.empty() && !out.schema_url.empty()) {
    err = "give one of --schema FILE and --schema-url URL (the schema before the file)";
    return false;
  }
  if ((!out.schema_file.empty() || !out.schema_url.empty()) && !out.history.empty()) {
    err = std::string(out.schema_url.empty() ? "--schema" : "--schema-url") +
          " is the schema before the file: it replaces the history, so drop --history (or [plan] history)";
    return false;
  }
  return true;
}

LintSettings plan_settings(const PlanArgs& a) {
  LintSettings settings;
  settings.pg_version = a.pg_version;
  settings.timezone = a.timezone;
  settings.transaction = a.transaction == "per-file" ? TxMode::PerFile
                         : a.transaction == "none"   ? TxMode::None
                                                     : TxMode::Auto;
  return settings;
}

bool resolve_apply(const ApplyFlags& f, const Config& cfg, ApplyArgs& out, std::string& err) {
  const ApplyConfig& c = cfg.apply;
  out = ApplyArgs{};
  out.release = f.release;
  out.dry_run = f.dry_run;
  out.wait_lock = pick(f.wait_lock, c.wait_lock, out.wait_lock);
  out.lock_timeout = pick(f.lock_timeout, c.lock_timeout, out.lock_timeout);
  out.lock_retries = pick(f.lock_retries, c.lock_retries, out.lock_retries);
  out.retry_base = pick(f.retry_base, c.retry_base, out.retry_base);
  out.retry_cap = pick(f.retry_cap, c.retry_cap, out.retry_cap);
  out.statement_timeout = pick(f.statement_timeout, c.statement_timeout, out.statement_timeout);
  out.long_statement_timeout = pick(f.long_statement_timeout, c.long_statement_timeout, out.long_statement_timeout);
  out.batch_statement_timeout = pick(f.batch_statement_timeout, c.batch_statement_timeout, out.batch_statement_timeout);
  out.batch_size = pick(f.batch_size, c.batch_size, out.batch_size);
  out.batch_pause = pick(f.batch_pause, c.batch_pause, out.batch_pause);
  out.pg_version = pick(f.pg_version, c.pg_version, cfg.project.pg_version, out.pg_version);
  out.layout = pick(f.layout, c.layout, cfg.project.layout, out.layout);
  out.exclude = pick(f.exclude, c.exclude, cfg.project.exclude, {});
  out.migrations_only = pick(f.migrations_only, c.migrations_only, false);
  out.stage_warnings = pick(f.stage_warnings, c.stage_warnings, false);
  out.verify = !f.no_verify;
  out.shadow_url = f.shadow_url;
  out.verify_load = !f.verify_load.empty() ? f.verify_load : cfg.verify_load.value_or("");
  out.config_path = cfg.path;
  out.deploy = cfg.deploy;
  out.swap = !out.dry_run && !out.migrations_only && !cfg.deploy.services.empty();

  out.dir = !f.dir.empty() ? f.dir : cfg.project.migrations.value_or("");
  if (out.dir.empty()) {
    err = "give the migrations directory, or set `migrations` in " + where_from(cfg);
    return false;
  }
  std::string env = c.database_url_env.value_or(kDefaultDatabaseUrlEnv);
  out.url = !f.url.empty() ? f.url : env_value(env);
  if (out.url.empty() && out.swap) out.url = env_value(cfg.deploy.database_url_env);
  if (out.url.empty()) {
    err = "--database-url (or the environment variable " + env +
          (out.swap ? " or " + cfg.deploy.database_url_env : std::string()) + ") is required";
    return false;
  }
  return true;
}

bool resolve_database_url(const std::string& flag, const Config& cfg, std::string& url, std::string& err) {
  std::string env = cfg.apply.database_url_env.value_or(kDefaultDatabaseUrlEnv);
  url = !flag.empty() ? flag : env_value(env);
  if (url.empty()) err = "--database-url (or the environment variable " + env + ") is required";
  return !url.empty();
}

bool resolve_trace(const TraceFlags& f, const Config& cfg, TraceArgs& out, std::string& err) {
  const TraceConfig& c = cfg.trace;
  out = TraceArgs{};
  out.commit = f.commit;
  out.no_history = pick(f.no_history, c.no_history, false);
  out.format = pick(f.format, c.format, out.format);
  out.layout = pick(f.layout, c.layout, cfg.project.layout, out.layout);
  out.pg_version = pick(f.pg_version, c.pg_version, cfg.project.pg_version, out.pg_version);
  // Where to trace: the command line names it, or else the file does; never a mix of the two.
  if (!f.database_url.empty() || f.temp_cluster) {
    out.database_url = f.database_url;
    out.temp_cluster = f.temp_cluster.value_or(false);
  } else {
    out.temp_cluster = c.temp_cluster.value_or(false);
    if (c.database_url_env) {
      if (out.temp_cluster) {
        err = where_from(cfg) + ": [trace] sets both temp_cluster = true and database_url_env; keep one";
        return false;
      }
      out.database_url = env_value(*c.database_url_env);
      if (out.database_url.empty()) {
        err = "the environment variable " + *c.database_url_env + " ([trace] database_url_env in " + where_from(cfg) +
              ") is not set; set it, or pass --database-url URL or --temp-cluster";
        return false;
      }
    }
  }
  if (out.database_url.empty() && !out.temp_cluster) {
    err = "give --database-url URL or --temp-cluster (or set [trace] database_url_env or temp_cluster in " +
          where_from(cfg) + ")";
    return false;
  }
  if (!f.paths.empty()) {
    out.paths = f.paths;
  } else if (cfg.project.migrations) {
    out.paths.push_back(*cfg.project.migrations);
  } else {
    err = "no migrations given: pass files or directories, or set `migrations` in " + where_from(cfg);
    return false;
  }
  return true;
}

bool resolve_snapshot(const SnapshotFlags& f, const Config& cfg, SnapshotArgs& out, std::string& err) {
  const SnapshotConfig& c = cfg.snapshot;
  out = SnapshotArgs{};
  out.output = pick(f.output, c.output, std::string());
  out.database_url = f.database_url;
  if (out.database_url.empty() && c.database_url_env) out.database_url = env_value(*c.database_url_env);
  if (out.database_url.empty()) {
    err = c.database_url_env ? "--database-url (or the environment variable " + *c.database_url_env + ") is required"
                             : std::string("--database-url is required (or set [snapshot] database_url_env)");
    return false;
  }
  return true;
}

bool resolve_deploy(const DeployFlags& f, const Config& cfg, DeployRun& out, std::string& err) {
  out = DeployRun{};
  if (cfg.path.empty()) {
    err = "no pgstage.toml in the working directory or above it (use --config PATH)";
    return false;
  }
  out.config_path = cfg.path;
  out.config = cfg.deploy;
  out.release = f.release;
  out.verify_load_url = !f.verify_load.empty() ? f.verify_load : cfg.verify_load.value_or("");
  return true;
}

}  // namespace pgstage::cli
