// One JSON shape for a backfill spec: what plan.json carries is what apply records and resumes.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "executor/exec_step.h"
#include "planner/backfill_json.h"
#include "planner/planner.h"

namespace unit_backfill_json_test {

using namespace pgstage;

TEST_CASE("the plan's backfill JSON is the executor's state JSON, and round-trips") {
  planner::BackfillSpec b{QualifiedName{"app", "users"}, {"id", "tenant"}, "\"n\" = \"o\"", "\"n\" IS NULL", 250};
  std::string state = executor::backfill_to_json(b);
  CHECK(state == planner::backfill_spec_json(b));
  auto j = nlohmann::json::parse(state);
  CHECK(j["table"]["schema"] == "app");
  CHECK(j["table"]["name"] == "users");

  planner::Plan p;
  planner::Step s;
  s.id = "backfill-1-backfill";
  s.phase = planner::Phase::Backfill;
  s.kind = "backfill";
  s.backfill = b;
  p.steps.push_back(s);
  p.phases.push_back(planner::PhaseInfo{planner::Phase::Backfill, "r", "x"});
  auto plan_json = nlohmann::json::parse(planner::to_json(p));
  CHECK(plan_json["phases"][0]["steps"][0]["backfill"] == j);

  auto back = executor::backfill_from_json(state);
  REQUIRE(back);
  CHECK(back->table.schema == "app");
  CHECK(back->table.name == "users");
  CHECK(back->key_columns == b.key_columns);
  CHECK(back->set_sql == b.set_sql);
  CHECK(back->predicate == b.predicate);
  CHECK(back->batch_size == 250);
  CHECK_FALSE(back->fire_user_triggers);  // a recipe's copy: the table's triggers stay quiet
  planner::BackfillSpec dml = b;
  dml.fire_user_triggers = true;  // the migration's own UPDATE fires them, as written
  auto dml_back = executor::backfill_from_json(executor::backfill_to_json(dml));
  REQUIRE(dml_back);
  CHECK(dml_back->fire_user_triggers);
}

TEST_CASE("a state row in the older shape still resumes; a non-backfill spec is none") {
  auto old = executor::backfill_from_json(
      R"({"schema":"app","table":"users","key_columns":["id"],"set_sql":"\"a\" = 1","predicate":"","batch_size":9})");
  REQUIRE(old);
  CHECK(old->table.schema == "app");
  CHECK(old->table.name == "users");
  CHECK(old->batch_size == 9);
  CHECK(old->fire_user_triggers);  // stored before the field existed: it ran with the triggers firing
  CHECK_FALSE(executor::backfill_from_json("{}"));
  CHECK_FALSE(executor::backfill_from_json("not json"));
}

}  // namespace unit_backfill_json_test
