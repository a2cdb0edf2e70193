// adding-primary-key: the columns proven NOT NULL through CHECKs, the unique index built CONCURRENTLY, then
// attached as the primary key (USING INDEX) in contract. A column added with an inline PRIMARY KEY is
// refused (the ADD COLUMN building block says how to split it).
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace adding_primary_key {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  // A column added with an inline PRIMARY KEY is refused by the ADD COLUMN building block, with how to split it.
  if (c.is<AddColumn>()) return stage_add_column(cx, in, c, "adding-primary-key");
  const AddConstraint& a = *c.as<AddConstraint>();
  const Constraint& k = a.constraint;
  const QualifiedName& t = a.table;
  if (!existing(cx, t)) return false;
  const CatalogTable* tab = cx.catalog.table(t);
  if (k.kind != ConstraintKind::PrimaryKey) return false;
  std::vector<std::string> nullable;
  std::vector<std::string> cols = k.columns;
  if (!k.using_index.empty()) {
    if (const CatalogIndex* ix = cx.catalog.index(sibling(t, k.using_index))) cols = ix->columns;
  }
  for (auto& col : cols) {
    const CatalogColumn* cc = tab ? tab->column(col) : nullptr;
    if (!cc || !cc->not_null) nullable.push_back(col);
  }
  if (!k.using_index.empty() && nullable.empty()) return false;
  std::string rule = "adding-primary-key";
  std::string name = k.name.empty() ? pg_default_name(t.name, "", "pkey") : k.name;
  std::string index = k.using_index.empty() ? name : k.using_index;
  if (k.using_index.empty())
    cx.expand.push_back(make_step(cx, Phase::Expand, "create-index-concurrently",
                                  "Build the unique index for the primary key without blocking writes",
                                  "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(index) + " ON " +
                                      quote_name(t) + " (" + column_list(cols) + ")" + key_index_tail(k),
                                  {t}, rule, in.index));
  for (auto& col : nullable) not_null_via_check(cx, t, col, rule, in.index);
  cx.contract.push_back(make_step(
      cx, Phase::Contract, "add-constraint-using-index",
      "Turn the index into the primary key " + display_ident(name) + " (the columns are already NOT NULL: no scan)",
      do_block("  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = " + regclass_literal(t) +
               " AND contype = 'p') THEN\n    ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(name) +
               " PRIMARY KEY USING INDEX " + quote_ident(index) + k.deferral + ";\n  END IF;\n"),
      {t}, rule, in.index));
  return true;
}

}  // namespace adding_primary_key
}  // namespace detail

extern const Recipe recipe_adding_primary_key{
    .rule = "adding-primary-key",
    .summary = "not-null via CHECK -> unique index CONCURRENTLY -> USING INDEX",
    .takes = takes<AddConstraint, AddColumn>,
    .stage = detail::adding_primary_key::stage,
};

}  // namespace pgstage::planner
