// dropping-table: the DROP TABLE moves to contract, once no release reads or writes the table.
#include <algorithm>

#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace dropping_table {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  const DropTable& d = *c.as<DropTable>();
  bool any = std::any_of(d.tables.begin(), d.tables.end(), [&](const QualifiedName& t) { return existing(cx, t); });
  if (!any) return false;
  std::string names;
  for (auto& t : d.tables) names += (names.empty() ? "" : ", ") + quote_name(t);
  cx.contract.push_back(
      make_step(cx, Phase::Contract, "drop-table", "Drop " + names + " once no release reads or writes it",
                "DROP TABLE IF EXISTS " + names + (d.cascade ? " CASCADE" : ""), d.tables, "dropping-table", in.index));
  for (auto& t : d.tables) cx.deferred_tables.push_back(t);
  return true;
}

}  // namespace dropping_table
}  // namespace detail

extern const Recipe recipe_dropping_table{
    .rule = "dropping-table",
    .summary = "deprecate -> drop in the next release",
    .takes = takes<DropTable>,
    .stage = detail::dropping_table::stage,
};

}  // namespace pgstage::planner
