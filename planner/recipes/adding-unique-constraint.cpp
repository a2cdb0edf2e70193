// adding-unique-constraint: the unique index built CONCURRENTLY, then attached as the constraint (USING INDEX).
// A column added with an inline UNIQUE is refused (the ADD COLUMN building block says how to split it).
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace adding_unique_constraint {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  // A column added with an inline UNIQUE is refused by the ADD COLUMN building block, with how to split it.
  if (c.is<AddColumn>()) return stage_add_column(cx, in, c, "adding-unique-constraint");
  const AddConstraint& a = *c.as<AddConstraint>();
  const Constraint& k = a.constraint;
  const QualifiedName& t = a.table;
  if (!existing(cx, t)) return false;
  if (k.kind != ConstraintKind::Unique || !k.using_index.empty()) return false;
  std::string rule = "adding-unique-constraint";
  std::string name = k.name.empty() ? pg_default_name(t.name, k.columns, "key") : k.name;
  cx.expand.push_back(make_step(cx, Phase::Expand, "create-index-concurrently",
                                "Build the unique index " + display_ident(name) + " without blocking writes",
                                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(name) + " ON " +
                                    quote_name(t) + " (" + column_list(k.columns) + ")" + key_index_tail(k),
                                {t}, rule, in.index));
  cx.expand.push_back(
      make_step(cx, Phase::Expand, "add-constraint-using-index",
                "Turn the index into the UNIQUE constraint " + display_ident(name) + " (catalog-only, brief lock)",
                do_block("  IF NOT EXISTS (" + constraint_exists(t, name) + ") THEN\n    ALTER TABLE " + quote_name(t) +
                         " ADD CONSTRAINT " + quote_ident(name) + " UNIQUE USING INDEX " + quote_ident(name) +
                         k.deferral + ";\n  END IF;\n"),
                {t}, rule, in.index));
  return true;
}

}  // namespace adding_unique_constraint
}  // namespace detail

extern const Recipe recipe_adding_unique_constraint{
    .rule = "adding-unique-constraint",
    .summary = "unique index CONCURRENTLY -> ADD CONSTRAINT ... USING INDEX",
    .takes = takes<AddConstraint, AddColumn>,
    .stage = detail::adding_unique_constraint::stage,
};

}  // namespace pgstage::planner
