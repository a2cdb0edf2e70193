// The recipe registry: one file per rule under planner/recipes/, named after the rule id, the way
// rules are registered. A rule is plannable exactly when it has a recipe here: `pgstage rules`,
// the findings' `plannable` flag and `pgstage plan` all read this one table.
#pragma once

#include <string_view>
#include <vector>

namespace pgstage::planner {

struct Recipe {
  std::string_view rule;     // the rule id whose findings it stages
  std::string_view summary;  // how, in one line: "NOT VALID -> VALIDATE CONSTRAINT"
};

// Every recipe, sorted by rule id (ids unique).
const std::vector<const Recipe*>& recipes();

// The recipe for findings of `rule_id`, or null (the finding runs as written).
const Recipe* find_recipe(std::string_view rule_id);

}  // namespace pgstage::planner
