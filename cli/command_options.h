// What each command runs with: its defaults, then pgstage.toml (the top level, then the command's
// own section), then the flags given on the command line. A *Flags struct holds what the command
// line said (an unset optional: the flag was not given); resolve_* merges it with the Config into
// the command's *Args. Returns false and fills `err` on a usage or configuration error (exit 2).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "analyzer/lint.h"
#include "cli/config.h"
#include "cli/deploy_run.h"

namespace pgstage::cli {

// The database URL variable `apply`, `mark-deployed` and `status` read without --database-url.
inline constexpr const char* kDefaultDatabaseUrlEnv = "PGSTAGE_DATABASE_URL";

// --config PATH / --no-config, on every command that reads pgstage.toml.
struct ConfigFlags {
  std::string path;  // empty: walk up from the working directory
  bool none = false;
};
void add_config_flags(CLI::App& cmd, ConfigFlags& flags);
// Loads pgstage.toml as the flags say. No file found (or --no-config) leaves the defaults.
bool load_project_config(const ConfigFlags& flags, Config& out, std::string& err);

// Loads pgstage.toml as `flags` say, then calls `resolve` with it. On an error prints
// "pgstage CMD: error" to stderr and returns false (the command exits 2).
bool configure(const char* cmd, const ConfigFlags& flags,
               const std::function<bool(const Config& cfg, std::string& err)>& resolve);

// A boolean flag that can also be given as --flag=false (to undo a `true` in pgstage.toml).
void add_bool_flag(CLI::App& cmd, const std::string& name, std::optional<bool>& target, const std::string& help);

struct LintFlags {
  std::vector<std::string> paths;
  std::optional<std::string> format, fail_on, color, json_style, layout, transaction, runner;
  std::optional<int> pg_version, jobs;
  std::optional<std::string> timezone;
  std::optional<std::vector<std::string>> history;
  std::optional<bool> no_history;
  std::string stdin_name = "<stdin>";
  std::vector<std::string> disable, enable, exclude, large_tables;  // add to the file's
  std::string database_url;
  std::optional<std::string> schema_file;
  std::optional<double> large_table_rows;
  std::string since;
  size_t max_bytes = 60000;  // --format markdown
  ConfigFlags config;
};

struct LintArgs {
  std::vector<std::string> paths;  // the flags' paths, else the file's `migrations`
  std::string format = "text";
  std::string color = "auto";
  std::string json_style = "auto";
  std::string stdin_name = "<stdin>";
  std::string database_url, schema_file, since;
  size_t max_bytes = 60000;  // --format markdown
  LintOptions options;       // settings, rules, history, layout, exclude, large tables, jobs
};
bool resolve_lint(const LintFlags& flags, const Config& cfg, LintArgs& out, std::string& err);

struct PlanFlags {
  std::string path;
  std::optional<std::vector<std::string>> history;
  std::optional<bool> no_history;
  std::optional<std::string> format, transaction;
  std::string out;
  std::optional<int> pg_version, batch_size;
  std::optional<std::string> timezone;
  size_t max_bytes = 60000;  // --format markdown
  bool verify = false;       // --verify
  std::string shadow_url;    // --shadow-url (implies --verify)
  std::optional<std::string> schema_file;  // --schema: a snapshot is the schema before the file
  std::string schema_url;                  // --schema-url: a live database's schema is
  ConfigFlags config;
};

struct PlanArgs {
  std::string path;
  std::vector<std::string> history;
  bool no_history = false;
  std::string format = "text";
  std::string out;
  int pg_version = 15;
  std::string timezone;  // "" unknown
  int batch_size = 1000;
  std::string transaction = "auto";
  size_t max_bytes = 60000;  // --format markdown
  bool verify = false;       // prove the plan on a throwaway database (--verify or --shadow-url)
  std::string shadow_url;    // "" = a temporary cluster
  // The schema before the file, instead of the migrations before it replayed: a `pgstage snapshot`
  // file or a live database (read-only). At most one; either excludes --history.
  std::string schema_file, schema_url;
};
bool resolve_plan(const PlanFlags& flags, const Config& cfg, PlanArgs& out, std::string& err);
// The analysis settings a plan is made with (pg_version, timezone, transaction mode): `plan` and
// `check-queries` plan a file alike.
LintSettings plan_settings(const PlanArgs& a);

struct ApplyFlags {
  std::string dir;
  std::string url;
  std::string release;
  bool dry_run = false;
  std::optional<double> wait_lock, lock_timeout, retry_base, retry_cap, statement_timeout, long_statement_timeout,
      batch_statement_timeout, batch_pause;
  std::optional<int> lock_retries, batch_size, pg_version;
  std::optional<std::string> layout;
  std::optional<std::vector<std::string>> exclude;
  std::string verify_load;
  std::optional<bool> migrations_only, stage_warnings;
  bool no_verify = false;  // --no-verify
  std::string shadow_url;  // --shadow-url
  ConfigFlags config;
};

struct ApplyArgs {
  std::string dir;  // the flag, else the file's `migrations`
  std::string url;  // --database-url, else $[apply] database_url_env, else (swapping) $[deploy] database_url_env
  std::string release;
  bool dry_run = false;
  double wait_lock = 60;
  double lock_timeout = 2;
  int lock_retries = 5;
  double retry_base = 0.5;
  double retry_cap = 30;
  double statement_timeout = 300;
  double long_statement_timeout = 6 * 3600;
  double batch_statement_timeout = 60;
  int batch_size = 0;  // 0: the plan's
  double batch_pause = 0;
  int pg_version = 15;
  std::string layout = "auto";
  std::vector<std::string> exclude;
  std::string verify_load;  // URL to load during the container swap
  bool migrations_only = false;
  bool stage_warnings = false;  // also stage files whose findings are only warnings (as `plan` does)
  bool verify = true;       // prove each plan on a throwaway database before anything runs
  std::string shadow_url;   // "" = a temporary cluster
  bool swap = false;        // [services.NAME] exist and this is neither a dry run nor --migrations-only
  std::string config_path;  // the pgstage.toml read ("" when none)
  deploy::DeployConfig deploy;
};
bool resolve_apply(const ApplyFlags& flags, const Config& cfg, ApplyArgs& out, std::string& err);

// `mark-deployed` and `status`: --database-url, else the variable [apply] database_url_env names.
bool resolve_database_url(const std::string& flag, const Config& cfg, std::string& url, std::string& err);

struct TraceFlags {
  std::vector<std::string> paths;
  std::string database_url;
  std::optional<bool> temp_cluster;
  bool commit = false;
  std::optional<bool> no_history;
  std::optional<std::string> format, layout;
  std::optional<int> pg_version;
  ConfigFlags config;
};

struct TraceArgs {
  std::vector<std::string> paths;  // the flags' paths, else the file's `migrations`
  std::string database_url;
  bool temp_cluster = false;
  bool commit = false;
  bool no_history = false;
  std::string format = "text";
  std::string layout = "auto";
  int pg_version = 15;
};
bool resolve_trace(const TraceFlags& flags, const Config& cfg, TraceArgs& out, std::string& err);

struct SnapshotFlags {
  std::string database_url;
  std::optional<std::string> output;
  ConfigFlags config;
};

struct SnapshotArgs {
  std::string database_url;
  std::string output;  // empty or "-": stdout
};
bool resolve_snapshot(const SnapshotFlags& flags, const Config& cfg, SnapshotArgs& out, std::string& err);

struct DeployFlags {
  std::string release;
  std::string verify_load;
  ConfigFlags config;
};
// Needs a pgstage.toml; --verify-load, else [deploy] verify_load.
bool resolve_deploy(const DeployFlags& flags, const Config& cfg, DeployRun& out, std::string& err);

}  // namespace pgstage::cli
