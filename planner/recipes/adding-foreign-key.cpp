// adding-foreign-key: the foreign key added NOT VALID (new writes checked), validated later under
// SHARE UPDATE EXCLUSIVE; on ADD COLUMN, the column added bare and its inline REFERENCES split off the
// same way (the shared building blocks, planner/constraints.cpp and planner/add_column.cpp).
#include "planner/context.h"
#include "planner/recipe.h"

namespace pgstage::planner {

namespace detail {
namespace adding_foreign_key {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  if (c.is<AddColumn>()) return stage_add_column(cx, in, c, "adding-foreign-key");
  return stage_not_valid_constraint(cx, in, c, "adding-foreign-key");
}

}  // namespace adding_foreign_key
}  // namespace detail

extern const Recipe recipe_adding_foreign_key{
    .rule = "adding-foreign-key",
    .summary = "NOT VALID -> VALIDATE CONSTRAINT",
    .takes = takes<AddConstraint, AddColumn>,
    .stage = detail::adding_foreign_key::stage,
};

}  // namespace pgstage::planner
