#include "deploy/deploy_config.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace pgstage::deploy {
namespace {

std::string where(const std::string& source, const toml::node& n, const std::string& key) {
  const auto& b = n.source().begin;
  std::string s = source;
  if (b.line > 0) s += ":" + std::to_string(b.line) + ":" + std::to_string(b.column);
  return s + ": " + key + ": ";
}

struct Reader {
  const std::string& source;
  std::string& err;

  bool string(const toml::table& t, const std::string& prefix, const char* key, std::string& out) {
    const toml::node* n = t.get(key);
    if (!n) return true;
    if (auto v = n->value<std::string>()) {
      out = *v;
      return true;
    }
    err = where(source, *n, prefix + key) + "expected a string";
    return false;
  }
  bool boolean(const toml::table& t, const std::string& prefix, const char* key, bool& out) {
    const toml::node* n = t.get(key);
    if (!n) return true;
    if (auto v = n->value<bool>()) {
      out = *v;
      return true;
    }
    err = where(source, *n, prefix + key) + "expected true or false";
    return false;
  }
  bool integer(const toml::table& t, const std::string& prefix, const char* key, int& out, int lo,
               int hi) {
    const toml::node* n = t.get(key);
    if (!n) return true;
    auto v = n->value<int64_t>();
    if (!v || *v < lo || *v > hi || !n->is_integer()) {
      err = where(source, *n, prefix + key) + "expected an integer from " + std::to_string(lo) +
            " to " + std::to_string(hi);
      return false;
    }
    out = static_cast<int>(*v);
    return true;
  }
  bool duration(const toml::table& t, const std::string& prefix, const char* key, Millis& out) {
    const toml::node* n = t.get(key);
    if (!n) return true;
    std::string text;
    if (n->is_integer()) text = std::to_string(*n->value<int64_t>());
    else if (auto v = n->value<std::string>()) text = *v;
    Millis d{};
    if (text.empty() || !parse_duration(text, d) || d.count() <= 0) {
      err = where(source, *n, prefix + key) + "expected a positive duration like \"30s\" or \"500ms\"";
      return false;
    }
    out = d;
    return true;
  }
  bool known_keys(const toml::table& t, const std::string& prefix, const std::set<std::string>& keys) {
    for (const auto& [k, v] : t) {
      if (!keys.count(std::string(k.str()))) {
        err = where(source, v, prefix + std::string(k.str())) + "unknown key";
        return false;
      }
    }
    return true;
  }
};

bool parse_service(Reader& r, const std::string& name, const toml::table& t, const DeployConfig& d,
                   ServiceConfig& s) {
  std::string p = "services." + name + ".";
  s.name = name;
  s.backend = d.backend;
  if (!r.known_keys(t, p,
                    {"image", "command", "env", "port", "proxied", "backend", "slots", "health_path",
                     "health_interval", "health_timeout", "healthy_threshold", "deploy_timeout",
                     "drain_timeout", "stop_timeout", "min_running"}))
    return false;
  if (!r.string(t, p, "image", s.image) || !r.string(t, p, "command", s.command) ||
      !r.integer(t, p, "port", s.port, 1, 65535) || !r.boolean(t, p, "proxied", s.proxied) ||
      !r.string(t, p, "backend", s.backend) || !r.string(t, p, "health_path", s.health_path) ||
      !r.duration(t, p, "health_interval", s.health_interval) ||
      !r.duration(t, p, "health_timeout", s.health_timeout) ||
      !r.integer(t, p, "healthy_threshold", s.healthy_threshold, 1, 100) ||
      !r.duration(t, p, "deploy_timeout", s.deploy_timeout) ||
      !r.duration(t, p, "drain_timeout", s.drain_timeout) ||
      !r.duration(t, p, "stop_timeout", s.stop_timeout) ||
      !r.duration(t, p, "min_running", s.min_running))
    return false;
  if (const toml::node* n = t.get("env")) {
    const toml::table* env = n->as_table();
    if (!env) {
      r.err = where(r.source, *n, p + "env") + "expected a table of strings";
      return false;
    }
    for (const auto& [k, v] : *env) {
      auto val = v.value<std::string>();
      if (!val) {
        r.err = where(r.source, v, p + "env." + std::string(k.str())) + "expected a string";
        return false;
      }
      s.env[std::string(k.str())] = *val;
    }
  }
  if (const toml::node* n = t.get("slots")) {
    const toml::array* a = n->as_array();
    if (!a || a->size() != 2 || !(*a)[0].is_string() || !(*a)[1].is_string()) {
      r.err = where(r.source, *n, p + "slots") + "expected two server names, e.g. [\"blue\", \"green\"]";
      return false;
    }
    s.slots = {*(*a)[0].value<std::string>(), *(*a)[1].value<std::string>()};
  }
  const std::string& needed = d.runtime == RuntimeKind::Docker ? s.image : s.command;
  if (needed.empty()) {
    r.err = where(r.source, t, p.substr(0, p.size() - 1)) +
            (d.runtime == RuntimeKind::Docker ? "`image` is required with runtime \"docker\""
                                              : "`command` is required with runtime \"process\"");
    return false;
  }
  if (s.proxied && s.health_path.empty()) {
    r.err = where(r.source, t, p.substr(0, p.size() - 1)) +
            "a proxied service needs a health_path (traffic is switched only to a healthy instance)";
    return false;
  }
  if (d.runtime == RuntimeKind::Docker && d.network == "bridge" && s.proxied && s.port == 0) {
    r.err = where(r.source, t, p.substr(0, p.size() - 1)) +
            "`port` (the port the app listens on in its container) is required with network \"bridge\"";
    return false;
  }
  return true;
}

}  // namespace

bool parse_duration(const std::string& text, Millis& out) {
  size_t i = 0;
  while (i < text.size() && isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 9) return false;
  long long n = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  if (unit == "ms") out = Millis(n);
  else if (unit == "s" || unit.empty()) out = Millis(n * 1000);
  else if (unit == "m") out = Millis(n * 60000);
  else return false;
  return true;
}

std::string expand_release(std::string s, const std::string& release) {
  const std::string key = "{release}";
  for (size_t pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + release.size()))
    s.replace(pos, key.size(), release);
  return s;
}

bool parse_deploy_config(const toml::table& root, const std::string& source_name,
                         const std::string& base_dir, DeployConfig& out, std::string& err) {
  Reader r{source_name, err};
  out = DeployConfig{};
  std::string state_dir(kDefaultStateDir);
  if (const toml::node* n = root.get("deploy")) {
    const toml::table* t = n->as_table();
    if (!t) {
      err = where(source_name, *n, "deploy") + "expected a table";
      return false;
    }
    if (!r.known_keys(*t, "deploy.",
                      {"runtime", "docker_socket", "haproxy_socket", "backend", "database_url_env",
                       "state_dir", "network", "host"}))
      return false;
    std::string runtime(kDefaultRuntime);
    if (!r.string(*t, "deploy.", "runtime", runtime) ||
        !r.string(*t, "deploy.", "docker_socket", out.docker_socket) ||
        !r.string(*t, "deploy.", "haproxy_socket", out.haproxy_socket) ||
        !r.string(*t, "deploy.", "backend", out.backend) ||
        !r.string(*t, "deploy.", "database_url_env", out.database_url_env) ||
        !r.string(*t, "deploy.", "state_dir", state_dir) ||
        !r.string(*t, "deploy.", "network", out.network) || !r.string(*t, "deploy.", "host", out.host))
      return false;
    if (runtime == "docker") out.runtime = RuntimeKind::Docker;
    else if (runtime == "process") out.runtime = RuntimeKind::Process;
    else {
      err = where(source_name, *t->get("runtime"), "deploy.runtime") +
            "expected \"docker\" or \"process\", got \"" + runtime + "\"";
      return false;
    }
    if (out.network != "host" && out.network != "bridge") {
      err = where(source_name, *t->get("network"), "deploy.network") +
            "expected \"host\" or \"bridge\", got \"" + out.network + "\"";
      return false;
    }
    if (out.database_url_env.find("://") != std::string::npos) {
      err = where(source_name, *t->get("database_url_env"), "deploy.database_url_env") +
            "expected the name of an environment variable, not a URL (keep passwords out of config)";
      return false;
    }
  }
  std::filesystem::path sd(state_dir);
  out.state_dir = (sd.is_absolute() ? sd : std::filesystem::path(base_dir) / sd).lexically_normal().string();
  if (const toml::node* n = root.get("services")) {
    const toml::table* t = n->as_table();
    if (!t) {
      err = where(source_name, *n, "services") + "expected a table of services";
      return false;
    }
    std::vector<uint32_t> lines;
    for (const auto& [k, v] : *t) {
      const toml::table* st = v.as_table();
      std::string name(k.str());
      if (!st) {
        err = where(source_name, v, "services." + name) + "expected a table";
        return false;
      }
      ServiceConfig s;
      if (!parse_service(r, name, *st, out, s)) return false;
      out.services.push_back(std::move(s));
      lines.push_back(st->source().begin.line);
    }
    // toml++ keeps tables sorted by key; deploy services in the order the file lists them.
    std::vector<size_t> idx(out.services.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return lines[a] < lines[b]; });
    std::vector<ServiceConfig> sorted;
    for (size_t i : idx) sorted.push_back(std::move(out.services[i]));
    out.services = std::move(sorted);
  }
  return true;
}

}  // namespace pgstage::deploy
