// The lint driver: replays history into a Catalog, then runs the rules over the files under review.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "analyzer/analysis.h"
#include "analyzer/catalog.h"
#include "analyzer/finding.h"
#include "analyzer/rule_api.h"

namespace pgstage {

class LintSink;

struct LintOptions {
  LintSettings settings;
  Severity fail_on = Severity::Error;
  std::set<std::string> disable;             // rule ids turned off
  std::set<std::string> enable;              // off-by-default rules turned on
  std::map<std::string, Severity> severity;  // per-rule overrides
  std::set<std::string> large_tables;        // findings on these are raised one level
  double large_table_rows = 1e6;             // with a known row estimate: raise above this
  std::vector<std::string> history;          // extra history paths (files or directories), in order
  bool no_history = false;                   // do not replay earlier migrations of the directory
  Layout layout = Layout::Auto;
  std::vector<std::string> exclude;  // glob patterns
  // Files under review in one run form one change set (objects created in one are new in the
  // others). Default: each file is its own change set.
  bool one_change_set = false;
  const Catalog* base_catalog = nullptr;  // from a live database or snapshot, replayed first
  int jobs = 0;                           // threads, the reviewer included (0 = all cores)
  bool keep_sources = true;               // keep reviewed files' text in LintResult::sources
  LintSink* sink = nullptr;               // receives statements and findings file by file
  // Keep each reviewed file's FileAnalysis in LintResult::analyses (plan, apply and trace use it).
  bool keep_analysis = false;
  // Whether findings of a rule can be staged by `pgstage plan` (the planner's recipe registry; the
  // analyzer does not know the planner). Null: no finding is plannable.
  bool (*plannable)(std::string_view rule_id) = nullptr;
};

// One input: a path (file or directory) or stdin text.
struct LintInput {
  std::string path;
  bool is_stdin = false;  // `stdin_text` holds the content (stdin, or text from a test/tool)
  std::string stdin_text;
  bool history = false;          // replay as history only (no findings)
  Layout layout = Layout::Auto;  // the file's layout when known (else LintOptions::layout)
};

struct StatementInfo {
  std::string file;
  size_t begin = 0, end = 0;
  Position start, stop;
  std::string kind;  // libpg_query node, e.g. AlterTableStmt
  std::vector<std::string> changes;
  LockFacts lock;
  bool in_transaction = false;
  bool syntax_error = false;
};

struct FileSummary {
  std::string path;
  int statements = 0;
  int syntax_errors = 0;
  std::string layout;
};

// Receives each reviewed file's statement records and findings, in input order, as soon as the
// file is reviewed (it may move them out). With a sink, LintResult::statements and ::findings stay
// empty and LintResult::streamed counts what went to the sink, so memory does not grow with the
// size of the input: `lint --format json` streams its report this way.
class LintSink {
 public:
  virtual ~LintSink() = default;
  virtual void reviewed(std::vector<StatementInfo>& statements, std::vector<Finding>& findings) = 0;
};

struct LintResult {
  std::vector<FileSummary> files;
  std::vector<StatementInfo> statements;  // empty when LintOptions::sink took them
  std::vector<Finding> findings;          // likewise
  struct Streamed {
    size_t statements = 0, findings = 0;
    size_t by_severity[3] = {0, 0, 0};                               // indexed by Severity
  } streamed;                                                        // what went to LintOptions::sink
  std::vector<std::string> errors;                                   // unreadable inputs (exit 2), each naming the path
  std::vector<std::string> warnings;  // inputs skipped because their runner ignores them (Flyway `V1_x.sql`), each naming the path
  std::map<std::string, std::shared_ptr<const SourceFile>> sources;  // files under review, by path
  std::shared_ptr<const Catalog> catalog;                            // the schema after the last file
  std::vector<FileAnalysis> analyses;  // files under review, in order (LintOptions::keep_analysis)
  int pg_version = 15;

  // Counts over the kept and the streamed records.
  size_t statement_count() const { return statements.size() + streamed.statements; }
  size_t finding_count() const { return findings.size() + streamed.findings; }
  int count(Severity s) const;
  bool fails(Severity threshold) const;
};

// Runs `rules` over the inputs. Never throws on bad SQL; unreadable inputs land in `errors`.
LintResult run_lint(const std::vector<LintInput>& inputs, const std::vector<const Rule*>& rules,
                    const LintOptions& opts);

// Replays a file's statements into `catalog` (history: no findings).
void replay_into(Catalog& catalog, const SourceFile& file, const LintSettings& settings);

// The parsed and lowered statements of a file, for the planner and trace.
struct AnalyzedStatement {
  Statement statement;
  LoweredStatement lowered;
  LockFacts lock;
};
std::vector<AnalyzedStatement> analyze_file(const SourceFile& file, Catalog& catalog, const LintSettings& settings,
                                            bool in_review);

// Stable fingerprint of a finding (hex): fingerprint_of(rule, path, fingerprint_text(statement), n).
std::string fingerprint_text(std::string_view statement_text);  // whitespace-collapsed, lower case
std::string fingerprint_of(std::string_view rule, std::string_view path, std::string_view normalized_text,
                           int occurrence);
// finding_fingerprint(rule, path, text, n) == fingerprint_of(rule, path, fingerprint_text(text), n),
// computed in one pass without building the normalized text.
std::string finding_fingerprint(std::string_view rule, std::string_view path, std::string_view statement_text,
                                int occurrence);

}  // namespace pgstage
