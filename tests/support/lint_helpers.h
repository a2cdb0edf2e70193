// Test helpers: lint SQL text in memory. Text before a line `-- pgstage:history-end` is replayed
// as history (it creates the "existing" schema); the rest is under review.
#pragma once

#include <string>
#include <vector>

#include "analyzer/lint.h"

namespace pgstage::test {

LintResult lint_text(const std::string& sql, LintOptions opts = {}, const std::string& name = "test.sql");

// The rule ids of the findings, in order.
std::vector<std::string> rule_ids(const LintResult& r);

// Findings of one rule.
std::vector<Finding> findings_of(const LintResult& r, const std::string& rule);

// Splits an example into its history part and its reviewed part.
std::pair<std::string, std::string> split_history(const std::string& sql);

}  // namespace pgstage::test
