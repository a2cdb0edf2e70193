// The recipe registry: one file per rule under planner/recipes/, named after the rule id, the way
// rules are registered. A recipe holds its rule's staging code; the planner (planner.cpp) offers a
// Change to the recipes of the findings lint reported on its statement, and to no other. A rule is
// plannable exactly when it has a recipe here: `pgstage rules`, the findings' `plannable` flag and
// `pgstage plan` all read this one table.
#pragma once

#include <string_view>
#include <vector>

#include "analyzer/change.h"

namespace pgstage::planner {

namespace detail {
struct Ctx;
struct StatementInput;
}  // namespace detail

struct Recipe {
  std::string_view rule;     // the rule id whose findings it stages
  std::string_view summary;  // how, in one line: "NOT VALID -> VALIDATE CONSTRAINT"
  // The Change kinds findings of `rule` are about, which `stage` is offered (see `takes` below).
  bool (*takes)(const Change&) = nullptr;
  // Stages `c`, a Change of a statement on which lint reported `rule` (ignores applied). Returns
  // true when it staged the Change or refused it (cx.error set, naming why and what to do); false
  // when the Change is not the one the finding is about (another Change of the same statement).
  bool (*stage)(detail::Ctx&, const detail::StatementInput&, const Change&) = nullptr;
  // The recipe stages the statement as a whole (its own step): once it takes one Change, the
  // statement's other Changes go with it and are not offered to other recipes.
  bool whole_statement = false;
};

// `takes<AddColumn, AddConstraint>`: a Recipe::takes that accepts those Change kinds.
template <class... Kinds>
bool takes(const Change& c) {
  return (c.is<Kinds>() || ...);
}

// Every recipe, sorted by rule id (ids unique).
const std::vector<const Recipe*>& recipes();

// The recipe for findings of `rule_id`, or null (the finding runs as written).
const Recipe* find_recipe(std::string_view rule_id);

}  // namespace pgstage::planner
