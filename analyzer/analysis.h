// The Analysis of a reviewed file: read, parsed, lowered and reviewed once by the lint driver, then
// consumed by every command (lint reports it, plan stages it, apply runs it, trace predicts from it),
// so they cannot disagree about what a migration means.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/catalog.h"
#include "analyzer/finding.h"
#include "analyzer/lockfacts.h"
#include "analyzer/lower.h"
#include "analyzer/parse.h"
#include "analyzer/source.h"

namespace pgstage {

struct FileAnalysis {
  std::shared_ptr<const SourceFile> file;
  std::vector<Statement> statements;      // parse trees dropped: the Changes hold what is needed
  std::vector<LoweredStatement> lowered;  // per statement
  std::vector<LockFacts> locks;           // per statement, against the schema before it
  std::vector<char> in_transaction;       // per statement: it runs inside a transaction block
  std::vector<Comment> comments;          // of the up section, in order
  // Per statement: the rules whose findings on it an ignore comment suppressed.
  std::vector<std::vector<std::string>> suppressed;
  std::vector<Finding> findings;                  // what lint reports for the file (ignores applied)
  // Finding::statement_index counts the statements of every file the lint run reviewed; this file's
  // first statement is number `first_statement` there.
  size_t first_statement = 0;
  std::shared_ptr<const Catalog> catalog_before;  // schema before the file's first statement
  std::shared_ptr<const Catalog> catalog_after;   // and after its last

  // The index in `statements` of the statement a finding is on, -1 for a file-level finding.
  int statement_of(const Finding& f) const {
    return f.statement_index < 0 ? -1 : f.statement_index - int(first_statement);
  }

  bool is_suppressed(size_t statement, std::string_view rule) const {
    if (statement >= suppressed.size()) return false;
    auto& s = suppressed[statement];
    return std::find(s.begin(), s.end(), rule) != s.end();
  }
};

}  // namespace pgstage
