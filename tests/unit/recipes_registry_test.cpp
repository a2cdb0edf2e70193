// The recipe registry (planner/recipes/) is the one answer to "can this be planned": `pgstage
// rules`, the findings' `plannable` flag and `pgstage plan` all read it.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

#include "planner/planner.h"
#include "planner/recipe.h"
#include "rules/registry.h"
#include "tests/support/cli_run.h"
#include "tests/support/plan_helpers.h"

namespace unit_recipes_registry_test {

using namespace pgstage;

TEST_CASE("recipes are sorted, one per rule id, one file each") {
  const auto& all = planner::recipes();
  REQUIRE(!all.empty());
  std::set<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(std::string(PGSTAGE_SOURCE_DIR) + "/planner/recipes"))
    files.insert(e.path().stem().string());
  std::set<std::string> ids;
  for (size_t i = 0; i < all.size(); ++i) {
    CAPTURE(all[i]->rule);
    if (i > 0) CHECK(all[i - 1]->rule < all[i]->rule);
    CHECK(rules::find(all[i]->rule) != nullptr);
    CHECK(!all[i]->summary.empty());
    CHECK(planner::has_recipe(all[i]->rule));
    ids.insert(std::string(all[i]->rule));
  }
  CHECK(ids == files);
  CHECK_FALSE(planner::has_recipe("wide-lock-window"));
  CHECK_FALSE(planner::has_recipe("no-such-rule"));
}

TEST_CASE("plannable in `pgstage rules --format json` is the recipe registry") {
  auto r = test::run_pgstage({"rules", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  auto arr = nlohmann::json::parse(r.out);
  REQUIRE(arr.size() == rules::all().size());
  std::set<std::string> plannable, recipes;
  for (auto& rule : arr)
    if (rule.at("plannable").get<bool>()) plannable.insert(rule.at("id").get<std::string>());
  for (auto* rc : planner::recipes()) recipes.insert(std::string(rc->rule));
  CHECK(plannable == recipes);
}

TEST_CASE("findings in the JSON report are plannable exactly when a recipe exists") {
  test::TempDir dir;
  std::string path = dir.write("001.sql", "CREATE TABLE t (id bigint PRIMARY KEY, a text);\n");
  dir.write("002.sql",
            "BEGIN;\nLOCK TABLE t;\nALTER TABLE t RENAME COLUMN a TO b;\nALTER TABLE t ADD COLUMN c int;\n"
            "UPDATE t SET c = 1;\nCOMMIT;\n");
  auto r = test::run_pgstage({"lint", "--format", "json", dir.path() + "/002.sql"});
  auto report = nlohmann::json::parse(r.out);
  std::set<std::string> seen;
  for (auto& f : report.at("findings")) {
    std::string rule = f.at("rule").get<std::string>();
    CAPTURE(rule);
    seen.insert(rule);
    CHECK(f.at("plannable").get<bool>() == planner::has_recipe(rule));
  }
  CHECK(seen.count("renaming-column") == 1);
  CHECK(seen.count("wide-lock-window") == 1);
}

}  // namespace unit_recipes_registry_test
