// adding-check-constraint: the CHECK added NOT VALID (new writes checked), validated later under
// SHARE UPDATE EXCLUSIVE; on ADD COLUMN, the column added bare and its inline CHECK split off the same
// way (the shared building blocks, planner/constraints.cpp and planner/add_column.cpp).
#include "planner/context.h"
#include "planner/recipe.h"

namespace pgstage::planner {

namespace detail {
namespace adding_check_constraint {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  if (c.is<AddColumn>()) return stage_add_column(cx, in, c, "adding-check-constraint");
  return stage_not_valid_constraint(cx, in, c, "adding-check-constraint");
}

}  // namespace adding_check_constraint
}  // namespace detail

extern const Recipe recipe_adding_check_constraint{
    .rule = "adding-check-constraint",
    .summary = "NOT VALID -> VALIDATE CONSTRAINT",
    .takes = takes<AddConstraint, AddColumn>,
    .stage = detail::adding_check_constraint::stage,
};

}  // namespace pgstage::planner
