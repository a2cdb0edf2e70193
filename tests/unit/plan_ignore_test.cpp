// lint and plan read the same ignore comments (analyzer/ignores.h): plan stages nothing for a
// statement whose finding lint suppressed, whatever form the ignore takes.
#include <doctest/doctest.h>

#include <set>

#include "tests/support/lint_helpers.h"
#include "tests/support/plan_helpers.h"

namespace unit_plan_ignore_test {

using namespace pgstage;

namespace {

const std::string kHistory = "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n-- pgstage:history-end\n";
const std::string kRename = "ALTER TABLE users RENAME COLUMN name TO full_name;";
const char* kRule = "renaming-column";

bool staged(const planner::Plan& p) {
  for (auto& s : p.steps)
    if (s.rule == kRule) return true;
  return false;
}

bool runs_as_written(const planner::Plan& p) {
  for (auto& s : p.steps)
    if (s.kind == "passthrough" && s.sql.find("RENAME COLUMN name TO full_name") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("lint and plan agree on every ignore form") {
  struct Case {
    const char* form;
    std::string sql;
    bool suppressed;
  };
  const std::vector<Case> cases = {
      {"no comment", kRename + "\n", false},
      {"comment above", "-- pgstage:ignore renaming-column -- reason\n" + kRename + "\n", true},
      {"block comment above", "/* pgstage:ignore renaming-column */\n" + kRename + "\n", true},
      {"end of the statement's line", kRename + " -- pgstage:ignore renaming-column\n", true},
      {"inside the statement",
       "ALTER TABLE users /* pgstage:ignore renaming-column */ RENAME COLUMN name TO full_name;\n", true},
      {"all", "-- pgstage:ignore all\n" + kRename + "\n", true},
      {"ignore-file, below", "SELECT 1;\n" + kRename + "\n-- pgstage:ignore-file renaming-column\n", true},
      {"ignore-file all", "-- pgstage:ignore-file all\n" + kRename + "\n", true},
      {"another rule", "-- pgstage:ignore dropping-column\n" + kRename + "\n", false},
      {"bare: names no rule, suppresses nothing", "-- pgstage:ignore\n" + kRename + "\n", false},
      {"bare -- reason", "-- pgstage:ignore -- we know\n" + kRename + "\n", false},
      {"above the statement before", "-- pgstage:ignore renaming-column\nSELECT 1;\n" + kRename + "\n", false},
      {"end of the line of the statement before", "SELECT 1; -- pgstage:ignore renaming-column\n" + kRename + "\n",
       false},
  };
  for (auto& c : cases) {
    CAPTURE(c.form);
    auto lint = test::lint_text(kHistory + c.sql);
    auto plan = test::plan_text(kHistory + c.sql);
    REQUIRE(plan.ok);
    CHECK(test::findings_of(lint, kRule).size() == (c.suppressed ? 0u : 1u));
    CHECK(staged(plan.plan) == !c.suppressed);
    CHECK(runs_as_written(plan.plan) == c.suppressed);
  }
}

TEST_CASE("an ignore for one statement leaves the next one staged") {
  std::string sql =
      "CREATE TABLE users (id bigint PRIMARY KEY, name text, email text);\n-- pgstage:history-end\n"
      "-- pgstage:ignore renaming-column\n" +
      kRename + "\nALTER TABLE users RENAME COLUMN email TO mail;\n";
  auto lint = test::lint_text(sql);
  auto plan = test::plan_text(sql);
  REQUIRE(plan.ok);
  auto f = test::findings_of(lint, kRule);
  REQUIRE(f.size() == 1);
  CHECK(f[0].start.line == 3);
  std::set<int> staged_statements;
  for (auto& s : plan.plan.steps)
    if (s.rule == kRule) staged_statements.insert(s.source_statement);
  CHECK(staged_statements == std::set<int>{1});
  CHECK(runs_as_written(plan.plan));
}

}  // namespace unit_plan_ignore_test
