// Lint report renderers. Each takes the whole result and returns the document to print.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/lint.h"

namespace pgstage::cli {

struct ReportOptions {
  bool color = false;
  Severity fail_on = Severity::Error;
};

std::string render_text(const LintResult& r, const ReportOptions& o);
std::string render_json(const LintResult& r, const ReportOptions& o);
// The JSON report streamed to `out` (what `lint --format json` prints; render_json() collects it).
void write_json(const LintResult& r, const ReportOptions& o, std::ostream& out);
// SARIF 2.1.0 (code scanning): every rule of the registry in tool.driver.rules, one result per finding.
std::string render_sarif(const LintResult& r, const ReportOptions& o);
// GitHub Actions workflow commands (::error file=...::message), one per finding, then a summary line.
std::string render_github(const LintResult& r, const ReportOptions& o);
// GitLab Code Quality report (a JSON array of Code Climate issues).
std::string render_gitlab(const LintResult& r, const ReportOptions& o);

// Percent-encodes a path for a URI reference (keeps unreserved characters and '/').
std::string uri_path(const std::string& path);

// The JSON of lock facts (shared by formats that embed them).
nlohmann::ordered_json lock_json(const LockFacts& l);

}  // namespace pgstage::cli
