// adding-column-volatile-default: the column added without its default, the default set for new
// rows, the existing rows backfilled in batches (the shared ADD COLUMN building block,
// planner/add_column.cpp).
#include "planner/context.h"
#include "planner/recipe.h"

namespace pgstage::planner {

namespace detail {
namespace adding_column_volatile_default {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  return stage_add_column(cx, in, c, "adding-column-volatile-default");
}

}  // namespace adding_column_volatile_default
}  // namespace detail

extern const Recipe recipe_adding_column_volatile_default{
    .rule = "adding-column-volatile-default",
    .summary = "add without default -> SET DEFAULT -> batched backfill",
    .takes = takes<AddColumn>,
    .stage = detail::adding_column_volatile_default::stage,
};

}  // namespace pgstage::planner
