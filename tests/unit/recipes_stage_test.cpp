// The planner is driven by findings: a Change is staged by the recipe of a finding lint reported on
// its statement, and by nothing else. Every rule called plannable (it has a recipe) stages its own
// documented bad example.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>

#include "planner/planner.h"
#include "planner/recipe.h"
#include "rules/registry.h"
#include "tests/support/plan_helpers.h"

namespace unit_recipes_stage_test {

using namespace pgstage;

namespace {

bool staged_by(const planner::Plan& p, std::string_view rule) {
  return std::any_of(p.steps.begin(), p.steps.end(), [&](const planner::Step& s) { return s.rule == rule; });
}

}  // namespace

TEST_CASE("every recipe stages its rule's documented bad example") {
  // Bad examples `plan` refuses as they stand, with what the refusal says and the one thing the
  // example lacks; given it, the recipe stages the example.
  struct Refusal {
    std::string says, add_above_statement;
  };
  const std::map<std::string, Refusal> refused = {
      // No value for the existing rows of a NOT NULL column without default: the author gives one.
      {"adding-required-column", {"-- pgstage:fill", "-- pgstage:fill ''\n"}},
  };
  const std::string history_end = "-- pgstage:history-end\n";
  for (const planner::Recipe* rc : planner::recipes()) {
    const std::string id(rc->rule);
    CAPTURE(id);
    const Rule* rule = rules::find(id);
    REQUIRE(rule != nullptr);
    REQUIRE(bool(rc->takes));
    REQUIRE(bool(rc->stage));
    std::string bad(rule->bad);
    auto r = test::plan_text(bad);
    if (auto it = refused.find(id); it != refused.end()) {
      CHECK_FALSE(r.ok);
      CHECK(r.error.find(it->second.says) != std::string::npos);
      size_t at = bad.find(history_end);
      REQUIRE(at != std::string::npos);
      bad.insert(at + history_end.size(), it->second.add_above_statement);
      r = test::plan_text(bad);
    }
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(staged_by(r.plan, id));
    // and nothing it stages is attributed to a rule lint did not report on the example
    for (auto& s : r.plan.steps) {
      CAPTURE(s.id);
      if (!s.rule.empty()) CHECK(planner::find_recipe(s.rule) != nullptr);
    }
  }
}

TEST_CASE("a change lint does not report runs as written") {
  const std::string history =
      "CREATE TABLE accounts (id bigint PRIMARY KEY);\n"
      "CREATE TABLE users (id bigint PRIMARY KEY, account_id bigint, note text);\n"
      "-- pgstage:history-end\n";
  SUBCASE("a new nullable column with an inline REFERENCES and no default: Postgres validates nothing") {
    auto r = test::plan_text(history + "ALTER TABLE users ADD COLUMN owner_id bigint REFERENCES accounts (id);\n");
    REQUIRE(r.ok);
    REQUIRE(r.plan.steps.size() == 1);
    CHECK(r.plan.steps[0].kind == "passthrough");
    CHECK(r.plan.steps[0].rule.empty());
  }
  SUBCASE("the same column with a default is validated (adding-foreign-key): staged") {
    auto r =
        test::plan_text(history + "ALTER TABLE users ADD COLUMN owner_id bigint DEFAULT 1 REFERENCES accounts (id);\n");
    REQUIRE(r.ok);
    CHECK(staged_by(r.plan, "adding-foreign-key"));
  }
  SUBCASE("an UPDATE with WHERE and no DDL in its transaction: lint is silent, it runs as written") {
    auto r = test::plan_text(history + "UPDATE users SET note = 'x' WHERE note IS NULL;\n");
    REQUIRE(r.ok);
    REQUIRE(r.plan.steps.size() == 1);
    CHECK(r.plan.steps[0].kind == "passthrough");
  }
  SUBCASE("a suppressed finding: its recipe is not offered the change") {
    auto r = test::plan_text(history +
                             "-- pgstage:ignore renaming-column -- no release reads it yet\n"
                             "ALTER TABLE users RENAME COLUMN note TO remark;\n");
    REQUIRE(r.ok);
    REQUIRE(r.plan.steps.size() == 1);
    CHECK(r.plan.steps[0].kind == "passthrough");
  }
}

TEST_CASE("a statement with two findings: each Change goes to its own rule's recipe") {
  auto r = test::plan_text(
      "CREATE TABLE users (id bigint PRIMARY KEY, note text);\n-- pgstage:history-end\n"
      "-- pgstage:fill email = ''\n"
      "ALTER TABLE users ADD COLUMN email text NOT NULL, ADD COLUMN token uuid DEFAULT gen_random_uuid();\n");
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK(staged_by(r.plan, "adding-required-column"));
  CHECK(staged_by(r.plan, "adding-column-volatile-default"));
}

TEST_CASE("a finding whose recipe stages nothing of its statement is listed as running as written") {
  auto r = test::plan_text(
      "CREATE TABLE prices (id bigint PRIMARY KEY, amount int);\n-- pgstage:history-end\n"
      "BEGIN;\nALTER TABLE prices ADD COLUMN note text;\nDELETE FROM prices WHERE amount < 0;\nCOMMIT;\n");
  INFO(r.error);
  REQUIRE(r.ok);
  bool listed = std::any_of(r.unplannable.begin(), r.unplannable.end(), [](const Finding& f) {
    return f.rule == "backfill-in-migration" &&
           f.message.find("is not one the backfill-in-migration recipe stages") != std::string::npos;
  });
  CHECK(listed);
  CHECK_FALSE(staged_by(r.plan, "backfill-in-migration"));
}

TEST_CASE("an UPDATE lint does not report, of a table the plan backfills, is batched after that backfill") {
  // Not a recipe but the plan's order: as written it would run in expand, before the backfill.
  auto r = test::plan_text(
      "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- pgstage:history-end\n"
      "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n"
      "UPDATE users SET email = lower(email) WHERE email IS NOT NULL;\n");
  INFO(r.error);
  REQUIRE(r.ok);
  auto bf = r.plan.steps_of(planner::Phase::Backfill);
  REQUIRE(bf.size() == 2);
  CHECK(bf[0]->rule == "adding-column-volatile-default");
  CHECK(bf[1]->rule.empty());
  CHECK(bf[1]->backfill->predicate == "email IS NOT NULL");
}

}  // namespace unit_recipes_stage_test
