// dropping-column: DROP NOT NULL in expand (the new release stops writing it), the drop in contract.
#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace dropping_column {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  const DropColumn& d = *c.as<DropColumn>();
  if (!existing(cx, d.table)) return false;
  const std::string rule = "dropping-column";
  const QualifiedName& t = d.table;
  const CatalogTable* tab = cx.catalog.table(t);
  const CatalogColumn* col = tab ? tab->column(d.column) : nullptr;
  if (col && col->not_null && !(col->default_expr && !col->default_expr->is_null_constant) && !col->identity &&
      !col->generated)
    cx.expand.push_back(make_step(
        cx, Phase::Expand, "drop-not-null",
        "DROP NOT NULL on " + who(t, d.column) + ": the new release no longer writes it, so its INSERTs must not fail",
        "ALTER TABLE " + quote_name(t) + " ALTER COLUMN " + quote_ident(d.column) + " DROP NOT NULL", {t}, rule,
        in.index));
  cx.contract.push_back(make_step(cx, Phase::Contract, "drop-column",
                                  "Drop " + who(t, d.column) + " once no release reads it (catalog-only)",
                                  "ALTER TABLE " + quote_name(t) + " DROP COLUMN IF EXISTS " + quote_ident(d.column) +
                                      (d.cascade ? " CASCADE" : ""),
                                  {t}, rule, in.index));
  cx.deferred_columns.push_back({t, d.column});
  return true;
}

}  // namespace dropping_column
}  // namespace detail

extern const Recipe recipe_dropping_column{
    .rule = "dropping-column",
    .summary = "deprecate (code stops using it) -> drop in the next release",
    .takes = takes<DropColumn>,
    .stage = detail::dropping_column::stage,
};

}  // namespace pgstage::planner
