// backfill-in-migration: a data change in the same transaction as DDL on its table. An UPDATE becomes
// a batched backfill by primary key (the shared building block, planner/dml.cpp); an INSERT ... SELECT
// runs as written in its own short transaction, apart from the DDL. A DELETE or MERGE runs as written.
#include "planner/context.h"
#include "planner/recipe.h"

namespace pgstage::planner {

namespace detail {
namespace backfill_in_migration {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  const Dml& d = *c.as<Dml>();
  if (d.kind == DmlKind::Insert && d.from_select && existing(cx, d.table)) {
    own_step(cx, in, /*transactional=*/true, "backfill-in-migration");
    return true;
  }
  if (d.kind != DmlKind::Update || !d.has_where) return false;  // without WHERE: unbounded-dml's
  return stage_update_backfill(cx, in, c, "backfill-in-migration");
}

}  // namespace backfill_in_migration
}  // namespace detail

extern const Recipe recipe_backfill_in_migration{
    .rule = "backfill-in-migration",
    .summary = "batched backfill step",
    .takes = takes<Dml>,
    .stage = detail::backfill_in_migration::stage,
    .whole_statement = true,
};

}  // namespace pgstage::planner
