// pgstage.toml: found by walking up from the working directory (or given with --config).
// Command-line flags override it. Unknown keys, unknown rule ids and bad values are errors that
// name the file, line and key. Commands other than lint keep their settings in their own
// top-level section ([deploy], [apply], [services.NAME], ...), registered with
// register_config_section(); a top-level key nobody registered is an error.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "analyzer/finding.h"

namespace pgstage::cli {

inline constexpr const char* kConfigFileName = "pgstage.toml";

// The lint settings of a config file. Unset optionals mean "not in the file".
struct LintConfig {
  std::optional<int> pg_version;
  std::optional<Severity> fail_on;
  std::vector<std::string> disable;                  // rule ids turned off
  std::vector<std::string> enable;                   // off-by-default rule ids turned on
  std::map<std::string, Severity> severity;          // [rules] id = "error" | "warning" | "hint"
  std::optional<std::string> transaction;            // auto | per-file | none
  std::optional<std::string> runner;                 // external | pgstage
  std::optional<std::string> migrations;             // directory, resolved against the file's directory
  std::optional<std::string> layout;                 // auto | plain | golang-migrate | ...
  std::vector<std::string> exclude;                  // globs, relative to the migrations directory
  std::vector<std::string> large_tables;             // findings on these are raised one level
  std::optional<double> large_table_rows;            // row estimate above which a table is large
};

struct Config {
  std::string path;   // the file read, empty when none was found
  std::string dir;    // its directory (relative paths in the file resolve against it)
  LintConfig lint;
  toml::table table;  // the whole document, for registered sections to read
};

// Validates one registered top-level section. Returns false and fills `err` (use config_error
// to name the file, line and key) when the section is wrong.
using SectionValidator = std::function<bool(const toml::node& section, const std::string& file, std::string& err)>;

// Registers a top-level key (usually a table such as [deploy]). Call before load_config, e.g.
// from the command's add_*_command. Registering a name twice keeps the last validator.
void register_config_section(const std::string& name, SectionValidator validate);

// "pgstage.toml:12:3: <message>" for a node (its line and column when toml++ knows them).
std::string config_error(const std::string& file, const toml::node& node, const std::string& message);

// Looks for pgstage.toml in `start` and its parents. Returns the path, or nullopt.
std::optional<std::string> find_config(const std::string& start);

// Reads and validates a config file. Returns false and fills `err` on any error.
bool load_config(const std::string& path, Config& out, std::string& err);

// Parses config text (for tests); `path` names it in errors.
bool parse_config(const std::string& text, const std::string& path, Config& out, std::string& err);

// Finds and loads the config: `explicit_path` when given (it must exist), else walks up from
// the working directory. No file found is not an error (`out.path` stays empty).
bool resolve_config(const std::optional<std::string>& explicit_path, Config& out, std::string& err);

}  // namespace pgstage::cli
