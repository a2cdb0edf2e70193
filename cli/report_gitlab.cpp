#include "cli/report.h"

namespace pgstage::cli {

using json = nlohmann::ordered_json;

namespace {

// Code Climate severities GitLab shows: info, minor, major, critical, blocker.
const char* gitlab_severity(Severity s) {
  return s == Severity::Error ? "critical" : s == Severity::Warning ? "major" : "info";
}

}  // namespace

std::string render_gitlab(const LintResult& r, const ReportOptions&) {
  json issues = json::array();
  for (const Finding& f : r.findings) {
    json issue = {{"type", "issue"},
                  {"check_name", f.rule},
                  {"description", f.message},
                  {"content", {{"body", f.help}}},
                  {"categories", json::array({f.category == Category::Style ? "Style" : "Bug Risk"})},
                  {"fingerprint", f.fingerprint},
                  {"severity", gitlab_severity(f.severity)},
                  {"location", {{"path", f.file}, {"lines", {{"begin", f.start.line}, {"end", f.stop.line}}}}}};
    issues.push_back(std::move(issue));
  }
  return issues.dump(2) + "\n";
}

}  // namespace pgstage::cli
