#include "cli/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyzer/source.h"
#include "rules/registry.h"

namespace fs = std::filesystem;

namespace pgstage::cli {

namespace {

std::map<std::string, SectionValidator>& sections() {
  // [deploy] and [services.NAME] belong to `deploy` / `apply`, which validate every key when they
  // run (deploy/deploy_config.cpp); here they only have to be tables.
  static std::map<std::string, SectionValidator> s = [] {
    std::map<std::string, SectionValidator> m;
    for (std::string name : {"deploy", "services"})
      m[name] = [name](const toml::node& n, const std::string& file, std::string& err) {
        if (n.is_table()) return true;
        err = config_error(file, n, "[" + name + "] must be a table");
        return false;
      };
    return m;
  }();
  return s;
}

std::string where(const std::string& file, const toml::source_region& src) {
  std::string out = file;
  if (src.begin.line > 0) out += ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
  return out;
}

std::string key_error(const std::string& file, const toml::key& key, const std::string& message) {
  return where(file, key.source()) + ": " + message;
}

// Reads one lint key. Returns false with `err` set when the value is wrong.
class LintKeys {
 public:
  LintKeys(const std::string& file, LintConfig& out, std::string& err) : file_(file), out_(out), err_(err) {}

  bool key(const toml::key& k, const toml::node& v) {
    const std::string name(k.str());
    if (name == "pg_version") {
      auto n = v.value<int64_t>();
      if (!v.is_integer() || !n || *n < 9 || *n > 18) return fail(v, "`pg_version` must be an integer from 9 to 18");
      out_.pg_version = int(*n);
    } else if (name == "fail_on") {
      auto s = string(v, name);
      if (!s) return false;
      auto sev = parse_severity(*s);
      if (!sev) return fail(v, "`fail_on` must be \"error\", \"warning\" or \"hint\" (got \"" + *s + "\")");
      out_.fail_on = *sev;
    } else if (name == "disable" || name == "enable") {
      auto ids = strings(v, name);
      if (!ids) return false;
      for (auto& [id, node] : *ids)
        if (!rules::find(id)) return fail(*node, "unknown rule `" + id + "` in `" + name + "` (see `pgstage rules`)");
      for (auto& [id, _] : *ids) (name == "disable" ? out_.disable : out_.enable).push_back(id);
    } else if (name == "rules") {
      return rules_table(v);
    } else if (name == "transaction") {
      return one_of(v, name, {"auto", "per-file", "none"}, out_.transaction);
    } else if (name == "runner") {
      return one_of(v, name, {"external", "pgstage"}, out_.runner);
    } else if (name == "layout") {
      auto s = string(v, name);
      if (!s) return false;
      if (!parse_layout(*s))
        return fail(v, "unknown `layout` \"" + *s +
                           "\" (auto, plain, golang-migrate, flyway, diesel, prisma, goose or dbmate)");
      out_.layout = *s;
    } else if (name == "migrations") {
      auto s = string(v, name);
      if (!s) return false;
      if (s->empty()) return fail(v, "`migrations` must name a directory");
      out_.migrations = *s;
    } else if (name == "exclude" || name == "large_tables") {
      auto list = strings(v, name);
      if (!list) return false;
      for (auto& [s, node] : *list) {
        if (s.empty()) return fail(*node, "`" + name + "` entries must not be empty");
        (name == "exclude" ? out_.exclude : out_.large_tables).push_back(s);
      }
    } else if (name == "large_table_rows") {
      auto d = v.value<double>();
      if (!(v.is_integer() || v.is_floating_point()) || !d || *d < 0)
        return fail(v, "`large_table_rows` must be a non-negative number");
      out_.large_table_rows = *d;
    } else {
      return unknown(k);
    }
    return true;
  }

  bool unknown(const toml::key& k) {
    std::string names;
    for (auto& [n, _] : sections()) names += ", [" + n + "]";
    err_ = key_error(file_, k,
                     "unknown key `" + std::string(k.str()) +
                         "` (known: pg_version, fail_on, disable, enable, [rules], transaction, runner, migrations, "
                         "layout, exclude, large_tables, large_table_rows" +
                         names + ")");
    return false;
  }

 private:
  bool fail(const toml::node& v, const std::string& message) {
    err_ = where(file_, v.source()) + ": " + message;
    return false;
  }

  std::optional<std::string> string(const toml::node& v, const std::string& name) {
    if (auto s = v.value<std::string>(); s && v.is_string()) return s;
    fail(v, "`" + name + "` must be a string");
    return std::nullopt;
  }

  std::optional<std::vector<std::pair<std::string, const toml::node*>>> strings(const toml::node& v,
                                                                               const std::string& name) {
    const toml::array* arr = v.as_array();
    if (!arr) {
      fail(v, "`" + name + "` must be an array of strings, e.g. " + name + " = [\"...\"]");
      return std::nullopt;
    }
    std::vector<std::pair<std::string, const toml::node*>> out;
    for (const toml::node& e : *arr) {
      if (!e.is_string()) {
        fail(e, "`" + name + "` must be an array of strings");
        return std::nullopt;
      }
      out.emplace_back(*e.value<std::string>(), &e);
    }
    return out;
  }

  bool one_of(const toml::node& v, const std::string& name, std::initializer_list<const char*> allowed,
              std::optional<std::string>& out) {
    auto s = string(v, name);
    if (!s) return false;
    std::string list;
    for (const char* a : allowed) {
      if (*s == a) {
        out = *s;
        return true;
      }
      list += std::string(list.empty() ? "" : ", ") + "\"" + a + "\"";
    }
    return fail(v, "`" + name + "` must be one of " + list + " (got \"" + *s + "\")");
  }

  // [rules] renaming-column = "warning" | "error" | "hint" | "off" | "on"
  bool rules_table(const toml::node& v) {
    const toml::table* t = v.as_table();
    if (!t) return fail(v, "`rules` must be a table: [rules] followed by rule-id = \"warning\" lines");
    for (auto&& [k, val] : *t) {
      std::string id(k.str());
      if (!rules::find(id)) {
        err_ = key_error(file_, k, "unknown rule `" + id + "` in [rules] (see `pgstage rules`)");
        return false;
      }
      auto s = val.value<std::string>();
      if (!val.is_string() || !s)
        return fail(val, "[rules] " + id + " must be \"error\", \"warning\", \"hint\", \"on\" or \"off\"");
      if (*s == "off") {
        out_.disable.push_back(id);
      } else if (*s == "on") {
        out_.enable.push_back(id);
      } else if (auto sev = parse_severity(*s)) {
        out_.severity[id] = *sev;
        out_.enable.push_back(id);  // a severity turns an off-by-default rule on
      } else {
        return fail(val, "[rules] " + id + " must be \"error\", \"warning\", \"hint\", \"on\" or \"off\" (got \"" +
                             *s + "\")");
      }
    }
    return true;
  }

  const std::string& file_;
  LintConfig& out_;
  std::string& err_;
};

}  // namespace

void register_config_section(const std::string& name, SectionValidator validate) {
  sections()[name] = std::move(validate);
}

std::string config_error(const std::string& file, const toml::node& node, const std::string& message) {
  return where(file, node.source()) + ": " + message;
}

std::optional<std::string> find_config(const std::string& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (ec) return std::nullopt;
  while (true) {
    fs::path candidate = dir / kConfigFileName;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    if (!dir.has_parent_path() || dir.parent_path() == dir) return std::nullopt;
    dir = dir.parent_path();
  }
}

bool parse_config(const std::string& text, const std::string& path, Config& out, std::string& err) {
  out = Config{};
  out.path = path;
  fs::path parent = fs::path(path).parent_path();
  out.dir = parent.empty() ? "." : parent.string();
  try {
    out.table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    err = where(path, e.source()) + ": " + std::string(e.description());
    return false;
  }
  LintKeys lint(path, out.lint, err);
  for (auto&& [k, v] : out.table) {
    auto sec = sections().find(std::string(k.str()));
    if (sec != sections().end()) {
      if (!sec->second(v, path, err)) return false;
      continue;
    }
    if (!lint.key(k, v)) return false;
  }
  // A rule both enabled and disabled in the same file is a contradiction worth naming.
  for (auto& id : out.lint.disable)
    if (std::find(out.lint.enable.begin(), out.lint.enable.end(), id) != out.lint.enable.end()) {
      err = path + ": rule `" + id + "` is both turned on and off; keep one";
      return false;
    }
  return true;
}

bool load_config(const std::string& path, Config& out, std::string& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = path + ": cannot read config file";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path, out, err);
}

bool resolve_config(const std::optional<std::string>& explicit_path, Config& out, std::string& err) {
  out = Config{};
  if (explicit_path) {
    std::error_code ec;
    if (!fs::is_regular_file(*explicit_path, ec)) {
      err = *explicit_path + ": config file not found";
      return false;
    }
    return load_config(*explicit_path, out, err);
  }
  std::error_code ec;
  auto found = find_config(fs::current_path(ec).string());
  if (!found) return true;
  // Name the file relative to the working directory when it is below it, for short messages.
  std::string shown = *found;
  auto rel = fs::relative(*found, fs::current_path(ec), ec);
  if (!ec && !rel.empty()) shown = rel.string();
  return load_config(shown, out, err);
}

}  // namespace pgstage::cli
