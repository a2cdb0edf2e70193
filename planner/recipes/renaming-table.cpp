// renaming-table: rename plus an updatable view under the old name in expand; contract drops the view.
#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace renaming_table {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  const RenameTable& r = *c.as<RenameTable>();
  if (r.is_view || !existing(cx, r.table)) return false;
  const std::string rule = "renaming-table";
  if (!single(cx, in, c, rule)) return true;
  const QualifiedName& t = r.table;
  QualifiedName nt = sibling(t, r.new_name);
  std::string is_table = "SELECT 1 FROM pg_catalog.pg_class WHERE oid = to_regclass(" + quote_literal(quote_name(t)) +
                         ") AND relkind IN ('r', 'p')";
  cx.expand.push_back(
      make_step(cx, Phase::Expand, "rename-table",
                "Rename " + display_name(t) + " to " + display_name(nt) +
                    " and, in the same transaction, create the view " + display_name(t) +
                    " over it: a simple view is updatable, so the old release keeps reading and writing "
                    "through the old name",
                do_block("  IF EXISTS (" + is_table + ") THEN\n    ALTER TABLE " + quote_name(t) + " RENAME TO " +
                         quote_ident(r.new_name) + ";\n    CREATE VIEW " + quote_name(t) + " AS SELECT * FROM " +
                         quote_name(nt) + ";\n  END IF;\n"),
                {t, nt}, rule, in.index));
  cx.contract.push_back(make_step(cx, Phase::Contract, "drop-view",
                                  "Drop the compatibility view " + display_name(t) + ": no release uses the old name",
                                  "DROP VIEW IF EXISTS " + quote_name(t), {t}, rule, in.index));
  cx.deferred_tables.push_back(t);
  return true;
}

}  // namespace renaming_table
}  // namespace detail

extern const Recipe recipe_renaming_table{
    .rule = "renaming-table",
    .summary = "rename + compatibility view -> drop view",
    .takes = takes<RenameTable>,
    .stage = detail::renaming_table::stage,
};

}  // namespace pgstage::planner
