// Lint report renderers. Each takes the whole result and returns the document to print.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/lint.h"

namespace pgstage::planner {
struct Plan;
}

namespace pgstage::cli {

// `lint --queries`: the running release's queries that use what a compatibility finding changes.
struct QueryEvidence {
  size_t checked = 0;                                              // queries resolved against the catalog
  std::vector<std::string> objects;                                // what the statement changes: users.name
  std::vector<std::pair<std::string, std::string>> using_queries;  // (origin, sql)
  std::vector<std::pair<std::string, std::string>> unresolved;     // (origin, why)
};

struct ReportOptions {
  bool color = false;
  int json_indent = 2;  // `--format json`: spaces per level, or -1 for compact (one line)
  Severity fail_on = Severity::Error;
  size_t max_bytes = 60000;  // `--format markdown`: size limit (a GitHub comment holds 65536 characters)
  // `lint --queries`: per finding (by fingerprint), the running release's queries checked against it.
  const std::map<std::string, QueryEvidence>* query_evidence = nullptr;
};

std::string render_text(const LintResult& r, const ReportOptions& o);
std::string render_json(const LintResult& r, const ReportOptions& o);
// The JSON report streamed to `out` (what `lint --format json` prints; render_json() collects it).
void write_json(const LintResult& r, const ReportOptions& o, std::ostream& out);
// `lint --format json` streamed: as a LintOptions::sink it renders each reviewed file's statements
// and findings into temporary files at once (the run holds no report in memory); finish() writes
// the document, byte for byte what write_json() writes for the same run.
class JsonStream final : public LintSink {
 public:
  explicit JsonStream(int indent = 2);  // as ReportOptions::json_indent
  ~JsonStream() override;
  void reviewed(std::vector<StatementInfo>& statements, std::vector<Finding>& findings) override;
  // False with `err` when a temporary file failed (the output is then incomplete).
  bool finish(const LintResult& r, const ReportOptions& o, std::ostream& out, std::string& err);

 private:
  struct Arrays;
  std::unique_ptr<Arrays> arrays_;
  std::vector<std::string> locks_;  // per statement of the file being rendered: its lock's JSON
};

// SARIF 2.1.0 (code scanning): every rule of the registry in tool.driver.rules, one result per finding.
std::string render_sarif(const LintResult& r, const ReportOptions& o);
// GitHub Actions workflow commands (::error file=...::message), one per finding, then a summary line.
std::string render_github(const LintResult& r, const ReportOptions& o);
// GitLab Code Quality report (a JSON array of Code Climate issues).
std::string render_gitlab(const LintResult& r, const ReportOptions& o);

// A pull-request comment (GitHub-flavoured Markdown): per file a table of its statements (location,
// kind, lock, rewrite/scan, findings by severity), then each finding with its help in <details>.
// Past o.max_bytes it stops at a whole entry and says how many were left out and how to see them.
std::string render_markdown(const LintResult& r, const ReportOptions& o);
// `plan --format markdown`: the phases with their steps, each step's SQL in a collapsed code block,
// and the unsafe findings no recipe stages (`unplannable`); truncated like render_markdown().
std::string render_plan_markdown(const planner::Plan& p, const std::vector<Finding>& unplannable,
                                 const ReportOptions& o);

// Percent-encodes a path for a URI reference (keeps unreserved characters and '/').
std::string uri_path(const std::string& path);

// "1 finding", "3 findings": a count and the word, plural when the count is not 1.
std::string plural(size_t n, const char* word);

// The JSON of lock facts (shared by formats that embed them).
nlohmann::ordered_json lock_json(const LockFacts& l);

}  // namespace pgstage::cli
