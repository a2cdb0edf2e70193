// adding-required-column: the column added nullable, filled by a trigger for the old release's
// writes and by a batched backfill (`-- pgstage:fill` gives the value), then NOT NULL through a validated
// CHECK in contract (the shared ADD COLUMN building block, planner/add_column.cpp).
#include "planner/context.h"
#include "planner/recipe.h"

namespace pgstage::planner {

namespace detail {
namespace adding_required_column {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  return stage_add_column(cx, in, c, "adding-required-column");
}

}  // namespace adding_required_column
}  // namespace detail

extern const Recipe recipe_adding_required_column{
    .rule = "adding-required-column",
    .summary = "add nullable -> backfill -> not-null via CHECK",
    .takes = takes<AddColumn>,
    .stage = detail::adding_required_column::stage,
};

}  // namespace pgstage::planner
