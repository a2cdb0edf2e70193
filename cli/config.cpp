#include "cli/config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "analyzer/source.h"
#include "rules/registry.h"

namespace fs = std::filesystem;

namespace pgstage::cli {

namespace {

constexpr double kMaxSeconds = 7 * 24 * 3600;  // a week: anything longer is a typo

std::string where(const std::string& file, const toml::source_region& src) {
  std::string out = file;
  if (src.begin.line > 0) out += ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
  return out;
}

std::string comma_list(const std::vector<std::string>& items) {
  std::string s;
  for (auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

// Typed reads of one value. Every error is "FILE:LINE:COLUMN: `key` must be ..." (what is accepted).
class Reader {
 public:
  Reader(const std::string& file, const std::string& dir, std::string& err) : file_(file), dir_(dir), err_(err) {}

  bool fail(const toml::node& n, const std::string& message) {
    err_ = where(file_, n.source()) + ": " + message;
    return false;
  }
  bool fail_key(const toml::key& k, const std::string& message) {
    err_ = where(file_, k.source()) + ": " + message;
    return false;
  }

  bool string(const toml::node& v, const std::string& name, std::string& out) {
    if (!v.is_string()) return fail(v, "`" + name + "` must be a string");
    out = *v.value<std::string>();
    return true;
  }
  bool nonempty(const toml::node& v, const std::string& name, std::string& out) {
    if (!string(v, name, out)) return false;
    if (out.empty()) return fail(v, "`" + name + "` must not be empty");
    return true;
  }
  bool path(const toml::node& v, const std::string& name, std::string& out) {
    if (!nonempty(v, name, out)) return false;
    out = resolve(out);
    return true;
  }
  bool one_of(const toml::node& v, const std::string& name, const std::vector<std::string>& allowed, std::string& out) {
    std::string s;
    if (!string(v, name, s)) return false;
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      std::string list;
      for (auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
      return fail(v, "`" + name + "` must be one of " + list + " (got \"" + s + "\")");
    }
    out = s;
    return true;
  }
  bool integer(const toml::node& v, const std::string& name, int lo, int hi, int& out) {
    auto n = v.value<int64_t>();
    if (!v.is_integer() || !n || *n < lo || *n > hi)
      return fail(v, "`" + name + "` must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    out = static_cast<int>(*n);
    return true;
  }
  bool boolean(const toml::node& v, const std::string& name, bool& out) {
    if (!v.is_boolean()) return fail(v, "`" + name + "` must be true or false");
    out = *v.value<bool>();
    return true;
  }
  // Seconds (a number) or a duration string: "500ms", "30s", "2m".
  bool seconds(const toml::node& v, const std::string& name, bool zero_ok, double& out) {
    std::string accepted = std::string("`") + name + "` must be a " + (zero_ok ? "non-negative" : "positive") +
                           " duration: seconds (e.g. 2 or 0.5) or a string like \"500ms\", \"30s\", \"2m\"";
    double s = -1;
    if (v.is_integer() || v.is_floating_point()) {
      s = *v.value<double>();
    } else if (v.is_string()) {
      deploy::Millis ms{};
      if (!deploy::parse_duration(*v.value<std::string>(), ms)) return fail(v, accepted);
      s = static_cast<double>(ms.count()) / 1000.0;
    } else {
      return fail(v, accepted);
    }
    if (!(s >= 0) || (!zero_ok && s == 0) || s > kMaxSeconds) return fail(v, accepted + " (at most a week)");
    out = s;
    return true;
  }
  bool millis(const toml::node& v, const std::string& name, deploy::Millis& out) {
    double s = 0;
    if (!seconds(v, name, false, s)) return false;
    out = deploy::Millis(static_cast<long long>(s * 1000));
    if (out.count() == 0) return fail(v, "`" + name + "` must be at least 1ms");
    return true;
  }
  bool strings(const toml::node& v, const std::string& name, std::vector<std::string>& out,
               std::vector<const toml::node*>* nodes = nullptr) {
    const toml::array* arr = v.as_array();
    if (!arr) return fail(v, "`" + name + "` must be an array of strings, e.g. " + name + " = [\"...\"]");
    out.clear();
    for (const toml::node& e : *arr) {
      if (!e.is_string()) return fail(e, "`" + name + "` must be an array of strings");
      if (e.value<std::string>()->empty()) return fail(e, "`" + name + "` entries must not be empty");
      out.push_back(*e.value<std::string>());
      if (nodes) nodes->push_back(&e);
    }
    return true;
  }
  bool paths(const toml::node& v, const std::string& name, std::vector<std::string>& out) {
    if (!strings(v, name, out)) return false;
    for (auto& p : out) p = resolve(p);
    return true;
  }
  // The name of an environment variable, never a URL (keep passwords out of files).
  bool env_name(const toml::node& v, const std::string& name, std::string& out) {
    std::string s;
    if (!nonempty(v, name, s)) return false;
    bool ok = !std::isdigit(static_cast<unsigned char>(s[0]));
    for (char c : s) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!ok)
      return fail(v, "`" + name +
                         "` must be the name of an environment variable (letters, digits, _), not a URL: keep "
                         "passwords out of files");
    out = s;
    return true;
  }

  std::string resolve(const std::string& p) const {
    fs::path path(p);
    std::string s = (path.is_absolute() ? path : fs::path(dir_) / path).lexically_normal().string();
    if (s.size() > 1 && s.back() == '/') s.pop_back();  // "dir/." normalises to "dir/"
    return s;
  }

  const std::string& file() const { return file_; }
  std::string& err() { return err_; }

 private:
  const std::string& file_;
  const std::string& dir_;
  std::string& err_;
};

// One key's reader: `shown` is how messages name it (`apply.lock_timeout`).
using KeyReader = std::function<bool(Reader&, const toml::node&, const std::string& shown)>;
using Keys = std::vector<std::pair<std::string, KeyReader>>;

template <class T>
KeyReader to(std::optional<T>& slot, std::function<bool(Reader&, const toml::node&, const std::string&, T&)> read) {
  return [&slot, read](Reader& r, const toml::node& v, const std::string& shown) {
    T value{};
    if (!read(r, v, shown, value)) return false;
    slot = std::move(value);
    return true;
  };
}

KeyReader pg_version(std::optional<int>& slot) {
  return to<int>(
      slot, [](Reader& r, const toml::node& v, const std::string& n, int& o) { return r.integer(v, n, 9, 18, o); });
}
KeyReader choice(std::optional<std::string>& slot, std::vector<std::string> allowed) {
  return to<std::string>(slot, [allowed](Reader& r, const toml::node& v, const std::string& n, std::string& o) {
    return r.one_of(v, n, allowed, o);
  });
}
KeyReader layout(std::optional<std::string>& slot) {
  return choice(slot, {"auto", "plain", "golang-migrate", "flyway", "diesel", "prisma", "goose", "dbmate"});
}
KeyReader transaction(std::optional<std::string>& slot) { return choice(slot, {"auto", "per-file", "none"}); }
KeyReader flag(std::optional<bool>& slot) {
  return to<bool>(slot,
                  [](Reader& r, const toml::node& v, const std::string& n, bool& o) { return r.boolean(v, n, o); });
}
KeyReader secs(std::optional<double>& slot, bool zero_ok) {
  return to<double>(slot, [zero_ok](Reader& r, const toml::node& v, const std::string& n, double& o) {
    return r.seconds(v, n, zero_ok, o);
  });
}
KeyReader integer(std::optional<int>& slot, int lo, int hi) {
  return to<int>(slot, [lo, hi](Reader& r, const toml::node& v, const std::string& n, int& o) {
    return r.integer(v, n, lo, hi, o);
  });
}
KeyReader list(std::optional<std::vector<std::string>>& slot) {
  return to<std::vector<std::string>>(slot, [](Reader& r, const toml::node& v, const std::string& n,
                                               std::vector<std::string>& o) { return r.strings(v, n, o); });
}
KeyReader path_list(std::optional<std::vector<std::string>>& slot) {
  return to<std::vector<std::string>>(slot, [](Reader& r, const toml::node& v, const std::string& n,
                                               std::vector<std::string>& o) { return r.paths(v, n, o); });
}
KeyReader path(std::optional<std::string>& slot) {
  return to<std::string>(
      slot, [](Reader& r, const toml::node& v, const std::string& n, std::string& o) { return r.path(v, n, o); });
}
KeyReader nonempty(std::optional<std::string>& slot) {
  return to<std::string>(
      slot, [](Reader& r, const toml::node& v, const std::string& n, std::string& o) { return r.nonempty(v, n, o); });
}
KeyReader env_name(std::optional<std::string>& slot) {
  return to<std::string>(
      slot, [](Reader& r, const toml::node& v, const std::string& n, std::string& o) { return r.env_name(v, n, o); });
}

// [rules] renaming-column = "warning" | "error" | "hint" | "off" | "on"
bool read_rules(Reader& r, const toml::node& v, const std::string& shown, LintConfig& out) {
  const toml::table* t = v.as_table();
  if (!t) return r.fail(v, "`" + shown + "` must be a table: [" + shown + "] followed by rule-id = \"warning\" lines");
  for (auto&& [k, val] : *t) {
    std::string id(k.str());
    if (!rules::find(id)) return r.fail_key(k, "unknown rule `" + id + "` in [" + shown + "] (see `pgstage rules`)");
    const std::string accepted =
        "[" + shown + "] " + id + " must be \"error\", \"warning\", \"hint\", \"on\" or \"off\"";
    if (!val.is_string()) return r.fail(val, accepted);
    std::string s = *val.value<std::string>();
    if (s == "off") {
      out.disable.push_back(id);
    } else if (s == "on") {
      out.enable.push_back(id);
    } else if (auto sev = parse_severity(s)) {
      out.severity[id] = *sev;
      out.enable.push_back(id);  // a severity turns an off-by-default rule on
    } else {
      return r.fail(val, accepted + " (got \"" + s + "\")");
    }
  }
  return true;
}

Keys lint_keys(LintConfig& c) {
  auto rule_list = [&c](bool disable) -> KeyReader {
    return [&c, disable](Reader& r, const toml::node& v, const std::string& n) {
      std::vector<std::string> ids;
      std::vector<const toml::node*> nodes;
      if (!r.strings(v, n, ids, &nodes)) return false;
      for (size_t i = 0; i < ids.size(); ++i)
        if (!rules::find(ids[i]))
          return r.fail(*nodes[i], "unknown rule `" + ids[i] + "` in `" + n + "` (see `pgstage rules`)");
      auto& dst = disable ? c.disable : c.enable;
      dst.insert(dst.end(), ids.begin(), ids.end());
      return true;
    };
  };
  return {
      {"pg_version", pg_version(c.pg_version)},
      {"timezone", nonempty(c.timezone)},
      {"fail_on",
       [&c](Reader& r, const toml::node& v, const std::string& n) {
         std::string s;
         if (!r.one_of(v, n, {"error", "warning", "hint"}, s)) return false;
         c.fail_on = parse_severity(s);
         return true;
       }},
      {"disable", rule_list(true)},
      {"enable", rule_list(false)},
      {"rules", [&c](Reader& r, const toml::node& v, const std::string& n) { return read_rules(r, v, n, c); }},
      {"transaction", transaction(c.transaction)},
      {"runner", choice(c.runner, {"external", "pgstage"})},
      {"migrations", path(c.migrations)},
      {"layout", layout(c.layout)},
      {"exclude", list(c.exclude)},
      {"large_tables",
       [&c](Reader& r, const toml::node& v, const std::string& n) {
         std::vector<std::string> t;
         if (!r.strings(v, n, t)) return false;
         c.large_tables.insert(c.large_tables.end(), t.begin(), t.end());
         return true;
       }},
      {"large_table_rows",
       [&c](Reader& r, const toml::node& v, const std::string& n) {
         auto d = v.value<double>();
         if (!(v.is_integer() || v.is_floating_point()) || !d || *d < 0)
           return r.fail(v, "`" + n + "` must be a non-negative number");
         c.large_table_rows = *d;
         return true;
       }},
      {"format", choice(c.format, {"text", "json", "sarif", "github", "gitlab", "markdown"})},
      {"color", choice(c.color, {"auto", "always", "never"})},
      {"json_style", choice(c.json_style, {"auto", "pretty", "compact"})},
      {"jobs", integer(c.jobs, 0, 1024)},
      {"history", path_list(c.history)},
      {"no_history", flag(c.no_history)},
      {"schema", path(c.schema)},
  };
}

Keys plan_keys(PlanConfig& c) {
  return {
      {"pg_version", pg_version(c.pg_version)},
      {"batch_size", integer(c.batch_size, 1, 1000000)},
      {"timezone", nonempty(c.timezone)},
      {"transaction", transaction(c.transaction)},
      {"format", choice(c.format, {"text", "json", "markdown"})},
      {"history", path_list(c.history)},
      {"no_history", flag(c.no_history)},
      {"schema", path(c.schema)},
  };
}

Keys apply_keys(ApplyConfig& c) {
  return {
      {"database_url_env", env_name(c.database_url_env)},
      {"wait_lock", secs(c.wait_lock, true)},
      {"lock_timeout", secs(c.lock_timeout, false)},
      {"lock_retries", integer(c.lock_retries, 0, 100)},
      {"retry_base", secs(c.retry_base, false)},
      {"retry_cap", secs(c.retry_cap, false)},
      {"statement_timeout", secs(c.statement_timeout, false)},
      {"long_statement_timeout", secs(c.long_statement_timeout, false)},
      {"batch_statement_timeout", secs(c.batch_statement_timeout, false)},
      {"batch_size", integer(c.batch_size, 1, 10000000)},
      {"batch_pause", secs(c.batch_pause, true)},
      {"pg_version", pg_version(c.pg_version)},
      {"layout", layout(c.layout)},
      {"exclude", list(c.exclude)},
      {"migrations_only", flag(c.migrations_only)},
      {"stage_warnings", flag(c.stage_warnings)},
  };
}

Keys trace_keys(TraceConfig& c) {
  return {
      {"database_url_env", env_name(c.database_url_env)},
      {"temp_cluster", flag(c.temp_cluster)},
      {"no_history", flag(c.no_history)},
      {"format", choice(c.format, {"text", "json"})},
      {"layout", layout(c.layout)},
      {"pg_version", pg_version(c.pg_version)},
  };
}

Keys snapshot_keys(SnapshotConfig& c) {
  return {{"database_url_env", env_name(c.database_url_env)}, {"output", path(c.output)}};
}

KeyReader str(std::string& slot) {
  return [&slot](Reader& r, const toml::node& v, const std::string& n) { return r.nonempty(v, n, slot); };
}
KeyReader path(std::string& slot) {
  return [&slot](Reader& r, const toml::node& v, const std::string& n) { return r.path(v, n, slot); };
}
KeyReader ms(deploy::Millis& slot) {
  return [&slot](Reader& r, const toml::node& v, const std::string& n) { return r.millis(v, n, slot); };
}

Keys deploy_keys(deploy::DeployConfig& c, std::optional<std::string>& verify_load) {
  return {
      {"runtime",
       [&c](Reader& r, const toml::node& v, const std::string& n) {
         std::string s;
         if (!r.one_of(v, n, {"docker", "process", "swarm"}, s)) return false;
         c.runtime = s == "docker"  ? deploy::RuntimeKind::Docker
                     : s == "swarm" ? deploy::RuntimeKind::Swarm
                                    : deploy::RuntimeKind::Process;
         return true;
       }},
      {"docker_socket", path(c.docker_socket)},
      {"haproxy_socket", path(c.haproxy_socket)},
      {"backend", str(c.backend)},
      {"database_url_env",
       [&c](Reader& r, const toml::node& v, const std::string& n) { return r.env_name(v, n, c.database_url_env); }},
      {"state_dir", path(c.state_dir)},
      {"network",
       [&c](Reader& r, const toml::node& v, const std::string& n) {
         return r.one_of(v, n, {"host", "bridge"}, c.network);
       }},
      {"host", str(c.host)},
      {"verify_load",
       [&verify_load](Reader& r, const toml::node& v, const std::string& n) {
         std::string s;
         if (!r.nonempty(v, n, s)) return false;
         verify_load = s;
         return true;
       }},
  };
}

Keys service_keys(deploy::ServiceConfig& s) {
  return {
      {"image", str(s.image)},
      {"command", str(s.command)},
      {"workdir", path(s.workdir)},
      {"env",
       [&s](Reader& r, const toml::node& v, const std::string& n) {
         const toml::table* env = v.as_table();
         if (!env) return r.fail(v, "`" + n + "` must be a table of strings, e.g. env = { APP_ROLE = \"web\" }");
         for (const auto& [k, val] : *env) {
           if (!val.is_string()) return r.fail(val, "`" + n + "." + std::string(k.str()) + "` must be a string");
           s.env[std::string(k.str())] = *val.value<std::string>();
         }
         return true;
       }},
      {"port",
       [&s](Reader& r, const toml::node& v, const std::string& n) { return r.integer(v, n, 1, 65535, s.port); }},
      {"proxied", [&s](Reader& r, const toml::node& v, const std::string& n) { return r.boolean(v, n, s.proxied); }},
      {"backend", str(s.backend)},
      {"slots",
       [&s](Reader& r, const toml::node& v, const std::string& n) {
         std::vector<std::string> slots;
         const toml::array* a = v.as_array();
         if (!a || a->size() != 2 || !r.strings(v, n, slots) || slots[0] == slots[1])
           return r.fail(v, "`" + n + "` must be two different server names, e.g. [\"blue\", \"green\"]");
         s.slots = slots;
         return true;
       }},
      {"placement",
       [&s](Reader& r, const toml::node& v, const std::string& n) { return r.strings(v, n, s.placement); }},
      {"replicas",
       [&s](Reader& r, const toml::node& v, const std::string& n) { return r.integer(v, n, 1, 100, s.replicas); }},
      {"min_healthy",
       [&s](Reader& r, const toml::node& v, const std::string& n) { return r.integer(v, n, 1, 100, s.min_healthy); }},
      {"health_path",
       [&s](Reader& r, const toml::node& v, const std::string& n) { return r.string(v, n, s.health_path); }},
      {"health_interval", ms(s.health_interval)},
      {"health_timeout", ms(s.health_timeout)},
      {"healthy_threshold", [&s](Reader& r, const toml::node& v,
                                 const std::string& n) { return r.integer(v, n, 1, 100, s.healthy_threshold); }},
      {"deploy_timeout", ms(s.deploy_timeout)},
      {"drain_timeout", ms(s.drain_timeout)},
      {"stop_timeout", ms(s.stop_timeout)},
      {"min_running", ms(s.min_running)},
  };
}

std::vector<std::string> names(const Keys& keys) {
  std::vector<std::string> out;
  for (auto& [k, _] : keys) out.push_back(k);
  return out;
}

// The sections a file may hold besides the top-level lint keys, in the order they are read.
const std::vector<std::string> kSections = {"lint", "plan", "apply", "trace", "snapshot", "deploy", "services"};

// Reads every key of `t` with `keys`; `prefix` names the section in messages ("apply.").
// At the top level the section names are skipped (they are read on their own).
bool read_table(Reader& r, const toml::table& t, const std::string& section, const Keys& keys) {
  std::string prefix = section.empty() ? "" : section + ".";
  for (auto&& [k, v] : t) {
    std::string name(k.str());
    if (section.empty() && std::find(kSections.begin(), kSections.end(), name) != kSections.end()) continue;
    auto it = std::find_if(keys.begin(), keys.end(), [&](auto& e) { return e.first == name; });
    if (it == keys.end()) {
      if (name == "database_url")
        return r.fail_key(k, "`" + prefix + name +
                                 "` is not read from pgstage.toml (keep passwords out of files): set "
                                 "`database_url_env` to the name of the environment variable that holds it");
      std::vector<std::string> known = names(keys);
      for (auto& n : known)
        if (n == "rules") n = "[" + prefix + "rules]";
      if (section.empty())
        for (auto& s : kSections) known.push_back("[" + s + "]");
      return r.fail_key(k, "unknown key `" + name + "` " +
                               (section.empty() ? "at the top level" : "in [" + section + "]") +
                               " (known: " + comma_list(known) + ")");
    }
    if (!it->second(r, v, prefix + name)) return false;
  }
  return true;
}

const toml::table* section_table(Reader& r, const toml::node& n, const std::string& name) {
  const toml::table* t = n.as_table();
  if (!t) r.fail(n, "`" + name + "` must be a table: write [" + name + "] followed by its keys");
  return t;
}

bool read_services(Reader& r, const toml::table& services, Config& out) {
  deploy::DeployConfig& d = out.deploy;
  std::vector<uint32_t> lines;
  for (auto&& [k, v] : services) {
    std::string name(k.str());
    std::string shown = "services." + name;
    const toml::table* t = section_table(r, v, shown);
    if (!t) return false;
    deploy::ServiceConfig s;
    s.name = name;
    s.workdir = r.resolve(".");
    if (!read_table(r, *t, shown, service_keys(s))) return false;
    if (s.backend.empty()) s.backend = d.backend;
    bool docker = d.runtime == deploy::RuntimeKind::Docker;
    bool swarm = d.runtime == deploy::RuntimeKind::Swarm;
    if ((docker || swarm ? s.image : s.command).empty())
      return r.fail(*t, docker  ? "[" + shown + "] needs `image` with [deploy] runtime \"docker\""
                        : swarm ? "[" + shown + "] needs `image` with [deploy] runtime \"swarm\""
                                : "[" + shown + "] needs `command` with [deploy] runtime \"process\"");
    if (swarm && s.proxied && s.port == 0)
      return r.fail(*t, "[" + shown +
                            "] needs `port` (the port the app listens on in its container, published in host mode "
                            "on each task's node) with [deploy] runtime \"swarm\"");
    if (!swarm && !s.placement.empty())
      return r.fail(*t, "[" + shown + "] `placement` applies only with [deploy] runtime \"swarm\"");
    if (s.proxied && s.health_path.empty())
      return r.fail(
          *t, "[" + shown + "] is proxied and needs a `health_path` (traffic is switched only to a healthy instance)");
    if (s.min_healthy > s.replicas)
      return r.fail(*t, "[" + shown + "] min_healthy (" + std::to_string(s.min_healthy) + ") is more than replicas (" +
                            std::to_string(s.replicas) + ")");
    if (docker && d.network == "bridge" && s.proxied && s.port == 0)
      return r.fail(*t, "[" + shown +
                            "] needs `port` (the port the app listens on in its container) with [deploy] network "
                            "\"bridge\"");
    d.services.push_back(std::move(s));
    lines.push_back(t->source().begin.line);
  }
  // toml++ keeps tables sorted by key; deploy services in the order the file lists them.
  std::vector<size_t> idx(d.services.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return lines[a] < lines[b]; });
  std::vector<deploy::ServiceConfig> sorted;
  for (size_t i : idx) sorted.push_back(std::move(d.services[i]));
  d.services = std::move(sorted);
  return true;
}

}  // namespace

const std::map<std::string, std::vector<std::string>>& config_keys() {
  static const std::map<std::string, std::vector<std::string>> keys = [] {
    Config c;
    deploy::ServiceConfig s;
    std::map<std::string, std::vector<std::string>> m;
    m[""] = names(lint_keys(c.lint));
    m["lint"] = m[""];
    m["plan"] = names(plan_keys(c.plan));
    m["apply"] = names(apply_keys(c.apply));
    m["trace"] = names(trace_keys(c.trace));
    m["snapshot"] = names(snapshot_keys(c.snapshot));
    m["deploy"] = names(deploy_keys(c.deploy, c.verify_load));
    m["services.*"] = names(service_keys(s));
    return m;
  }();
  return keys;
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
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    err = where(path, e.source()) + ": " + std::string(e.description());
    return false;
  }
  Reader r(out.path, out.dir, err);
  out.deploy.state_dir = r.resolve(std::string(deploy::kDefaultStateDir));

  // Top level: lint keys (which are also the other commands' defaults) and the sections.
  std::map<std::string, const toml::node*> sections;
  for (auto&& [k, v] : root)
    if (std::find(kSections.begin(), kSections.end(), std::string(k.str())) != kSections.end())
      sections[std::string(k.str())] = &v;
  if (!read_table(r, root, "", lint_keys(out.lint))) return false;
  out.project = out.lint;
  if (auto it = sections.find("lint"); it != sections.end()) {
    const toml::table* t = section_table(r, *it->second, "lint");
    if (!t) return false;
    for (auto&& [k, v] : *t)
      if (const toml::node* twice = root.get(k.str()); twice && !sections.count(std::string(k.str())))
        return r.fail_key(k, "`" + std::string(k.str()) + "` is set both at the top level (line " +
                                 std::to_string(twice->source().begin.line) + ") and in [lint]; keep one");
    if (!read_table(r, *t, "lint", lint_keys(out.lint))) return false;
  }
  auto section = [&](const std::string& name, const Keys& keys) {
    auto it = sections.find(name);
    if (it == sections.end()) return true;
    const toml::table* t = section_table(r, *it->second, name);
    return t && read_table(r, *t, name, keys);
  };
  if (!section("plan", plan_keys(out.plan)) || !section("apply", apply_keys(out.apply)) ||
      !section("trace", trace_keys(out.trace)) || !section("snapshot", snapshot_keys(out.snapshot)) ||
      !section("deploy", deploy_keys(out.deploy, out.verify_load)))
    return false;
  if (auto it = sections.find("services"); it != sections.end()) {
    const toml::table* t = section_table(r, *it->second, "services");
    if (!t || !read_services(r, *t, out)) return false;
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
  out.deploy.state_dir = fs::absolute(std::string(deploy::kDefaultStateDir)).lexically_normal().string();
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
