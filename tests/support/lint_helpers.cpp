#include "tests/support/lint_helpers.h"

#include "planner/planner.h"
#include "rules/registry.h"

namespace pgstage::test {

std::pair<std::string, std::string> split_history(const std::string& sql) {
  const std::string marker = "-- pgstage:history-end";
  auto pos = sql.find(marker);
  if (pos == std::string::npos) return {std::string(), sql};
  auto eol = sql.find('\n', pos);
  return {sql.substr(0, pos), eol == std::string::npos ? std::string() : sql.substr(eol + 1)};
}

LintResult lint_text(const std::string& sql, LintOptions opts, const std::string& name) {
  auto [history, review] = split_history(sql);
  if (!opts.plannable) opts.plannable = planner::has_recipe;  // as every command sets it
  std::vector<LintInput> inputs;
  if (!history.empty()) inputs.push_back(LintInput{"history.sql", true, history, true});
  inputs.push_back(LintInput{name, true, review, false});
  return run_lint(inputs, rules::all(), opts);
}

std::vector<std::string> rule_ids(const LintResult& r) {
  std::vector<std::string> out;
  for (auto& f : r.findings) out.push_back(f.rule);
  return out;
}

std::vector<Finding> findings_of(const LintResult& r, const std::string& rule) {
  std::vector<Finding> out;
  for (auto& f : r.findings)
    if (f.rule == rule) out.push_back(f);
  return out;
}

}  // namespace pgstage::test
