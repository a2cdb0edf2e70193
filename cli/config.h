// pgstage.toml, the one project configuration: found by walking up from the working directory
// (or given with --config), read once by load_config into one Config that every command builds
// its options from (cli/command_options.h). Command-line flags override it.
//
// Sections: lint keys at the top level or in [lint]; [plan], [apply], [trace], [snapshot],
// [deploy], [services.NAME]. The top-level keys pg_version, layout, transaction, exclude and
// migrations are also the defaults of the other commands that have the setting; a command's own
// section wins over them. Unknown keys and bad values (wrong type, out of range, unknown name) are
// errors "FILE:LINE:COLUMN: message" that say what is accepted. Relative paths in the file resolve
// against the file's directory. A database URL is never read from the file: `database_url_env`
// names the environment variable that holds it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "analyzer/finding.h"
#include "deploy/deploy_config.h"

namespace pgstage::cli {

inline constexpr const char* kConfigFileName = "pgstage.toml";

// The lint settings. Unset optionals mean "not in the file".
struct LintConfig {
  std::optional<int> pg_version;
  std::optional<std::string> timezone;  // the session TimeZone migrations run with
  std::optional<Severity> fail_on;
  std::vector<std::string> disable;                 // rule ids turned off
  std::vector<std::string> enable;                  // off-by-default rule ids turned on
  std::map<std::string, Severity> severity;         // [rules] id = "error" | "warning" | "hint"
  std::optional<std::string> transaction;           // auto | per-file | none
  std::optional<std::string> runner;                // external | pgstage
  std::optional<std::string> migrations;            // directory (resolved against the file's directory)
  std::optional<std::string> layout;                // auto | plain | golang-migrate | ...
  std::optional<std::vector<std::string>> exclude;  // globs, relative to the migrations directory
  std::vector<std::string> large_tables;            // findings on these are raised one level
  std::optional<double> large_table_rows;           // row estimate above which a table is large
  std::optional<std::string> format;                // text | json | sarif | github | gitlab
  std::optional<std::string> color;                 // auto | always | never
  std::optional<std::string> json_style;            // auto | pretty | compact
  std::optional<int> jobs;                          // 0: all cores
  std::optional<std::vector<std::string>> history;  // files or directories (resolved)
  std::optional<bool> no_history;
  std::optional<std::string> schema;  // `pgstage snapshot` file (resolved)
};

struct PlanConfig {
  std::optional<int> pg_version;
  std::optional<std::string> timezone;
  std::optional<int> batch_size;
  std::optional<std::string> transaction;           // auto | per-file | none
  std::optional<std::string> format;                // text | json
  std::optional<std::vector<std::string>> history;  // resolved
  std::optional<bool> no_history;
  std::optional<std::string> schema;  // resolved: a snapshot as the schema before the file
};

// Durations are seconds, as the flags take them.
struct ApplyConfig {
  std::optional<std::string> database_url_env;  // default PGSTAGE_DATABASE_URL
  std::optional<double> wait_lock;
  std::optional<double> lock_timeout;
  std::optional<int> lock_retries;
  std::optional<double> retry_base;
  std::optional<double> retry_cap;
  std::optional<double> statement_timeout;
  std::optional<double> long_statement_timeout;
  std::optional<double> batch_statement_timeout;
  std::optional<int> batch_size;
  std::optional<double> batch_pause;
  std::optional<int> pg_version;
  std::optional<std::string> layout;
  std::optional<std::vector<std::string>> exclude;
  std::optional<bool> migrations_only;
  std::optional<bool> stage_warnings;
};

struct TraceConfig {
  std::optional<std::string> database_url_env;  // trace against the database it names
  std::optional<bool> temp_cluster;
  std::optional<bool> no_history;
  std::optional<std::string> format;  // text | json
  std::optional<std::string> layout;
  std::optional<int> pg_version;
};

struct SnapshotConfig {
  std::optional<std::string> database_url_env;
  std::optional<std::string> output;  // resolved
};

struct Config {
  std::string path;    // the file read, empty when none was found
  std::string dir;     // its directory (relative paths in the file resolve against it)
  LintConfig project;  // the top-level keys alone (the other commands' defaults)
  LintConfig lint;     // the top-level keys and [lint]
  PlanConfig plan;
  ApplyConfig apply;
  TraceConfig trace;
  SnapshotConfig snapshot;
  deploy::DeployConfig deploy;             // [deploy] and [services.NAME], defaults filled in
  std::optional<std::string> verify_load;  // [deploy] verify_load: URL loaded during a swap
};

// The keys the loader knows, per section: "" (the top level; [lint] takes the same keys), "lint",
// "plan", "apply", "trace", "snapshot", "deploy", "services.*" (every [services.NAME]) and "rules"
// (rule ids, not listed). For documentation checks and messages.
const std::map<std::string, std::vector<std::string>>& config_keys();

// Looks for pgstage.toml in `start` and its parents. Returns the path, or nullopt.
std::optional<std::string> find_config(const std::string& start);

// Reads and validates a config file. Returns false and fills `err` on any error.
bool load_config(const std::string& path, Config& out, std::string& err);

// Parses config text (for tests); `path` names it in errors and gives the directory paths resolve
// against.
bool parse_config(const std::string& text, const std::string& path, Config& out, std::string& err);

// Finds and loads the config: `explicit_path` when given (it must exist), else walks up from
// the working directory. No file found is not an error (`out.path` stays empty, defaults apply).
bool resolve_config(const std::optional<std::string>& explicit_path, Config& out, std::string& err);

}  // namespace pgstage::cli
