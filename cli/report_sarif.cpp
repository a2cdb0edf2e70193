#include "cli/report.h"
#include "rules/registry.h"

namespace pgstage::cli {

using json = nlohmann::ordered_json;

namespace {

const char* sarif_level(Severity s) {
  return s == Severity::Error ? "error" : s == Severity::Warning ? "warning" : "note";
}

std::string sv(std::string_view s) { return std::string(s); }

json rule_json(const Rule& r) {
  std::string text = sv(r.summary) + ".\n\nWhy: " + sv(r.why) + "\n\nLock: " + sv(r.lock) +
                     "\n\nInstead: " + sv(r.instead) + "\n\nBad:\n" + sv(r.bad) + "\n\nGood:\n" + sv(r.good);
  std::string md = "**Why.** " + sv(r.why) + "\n\n**Lock.** " + sv(r.lock) + "\n\n**Instead.** " + sv(r.instead) +
                   "\n\nBad:\n\n```sql\n" + sv(r.bad) + "\n```\n\nGood:\n\n```sql\n" + sv(r.good) + "\n```\n";
  json j = {{"id", sv(r.id)},
            {"name", sv(r.id)},
            {"shortDescription", {{"text", sv(r.summary)}}},
            {"fullDescription", {{"text", sv(r.summary) + ". " + sv(r.why)}}},
            {"help", {{"text", text}, {"markdown", md}}},
            {"defaultConfiguration", {{"enabled", r.enabled_by_default}, {"level", sarif_level(r.severity)}}},
            {"properties",
             {{"category", sv(category_name(r.category))},
              {"tags", {"postgres", "migration", sv(category_name(r.category))}}}}};
  return j;
}

}  // namespace

std::string uri_path(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string render_sarif(const LintResult& r, const ReportOptions&) {
  json rules = json::array();
  std::map<std::string, int> index;
  for (const Rule* rule : rules::all()) {
    index[sv(rule->id)] = int(rules.size());
    rules.push_back(rule_json(*rule));
  }
  // A finding of a rule outside the registry (the driver's built-in unused-ignore) still gets an entry.
  for (const Finding& f : r.findings)
    if (!index.count(f.rule)) {
      index[f.rule] = int(rules.size());
      rules.push_back({{"id", f.rule},
                       {"name", f.rule},
                       {"shortDescription", {{"text", f.rule}}},
                       {"fullDescription", {{"text", f.rule}}},
                       {"help", {{"text", f.help.empty() ? f.rule : f.help}}},
                       {"defaultConfiguration", {{"level", sarif_level(f.severity)}}},
                       {"properties", {{"category", sv(category_name(f.category))}}}});
    }
  json results = json::array();
  for (const Finding& f : r.findings) {
    bool absolute = !f.file.empty() && f.file[0] == '/';
    json artifact = {{"uri", absolute ? "file://" + uri_path(f.file) : uri_path(f.file)}};
    if (!absolute) artifact["uriBaseId"] = "%SRCROOT%";
    json region = {{"startLine", f.start.line}, {"startColumn", f.start.column}};
    if (f.stop.line > f.start.line || (f.stop.line == f.start.line && f.stop.column > f.start.column)) {
      region["endLine"] = f.stop.line;
      region["endColumn"] = f.stop.column;
    }
    std::string text = f.message;
    if (!f.help.empty()) text += "\n" + f.help;
    json res = {{"ruleId", f.rule}};
    if (auto it = index.find(f.rule); it != index.end()) res["ruleIndex"] = it->second;
    res["level"] = sarif_level(f.severity);
    res["message"] = {{"text", text}};
    res["locations"] = json::array({{{"physicalLocation", {{"artifactLocation", artifact}, {"region", region}}}}});
    res["partialFingerprints"] = {{"pgstage/v1", f.fingerprint}};
    res["properties"] = {{"category", sv(category_name(f.category))},
                         {"lock", lock_json(f.lock)},
                         {"rewrite", f.lock.rewrite},
                         {"scan", f.lock.scan},
                         {"plannable", f.plannable}};
    results.push_back(std::move(res));
  }
  json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({{{"tool",
                                      {{"driver",
                                        {{"name", "pgstage"},
                                         {"version", PGSTAGE_VERSION},
                                         {"semanticVersion", PGSTAGE_VERSION},
                                         {"rules", rules}}}}},
                                     {"columnKind", "unicodeCodePoints"},
                                     {"results", results}}})}};
  return doc.dump(2) + "\n";
}

}  // namespace pgstage::cli
