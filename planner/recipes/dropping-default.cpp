// dropping-default: the DROP DEFAULT moves to contract, once no release leaves the column out of INSERTs.
#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace dropping_default {

// DROP DEFAULT that the running release relies on (its INSERTs leave the column out): contract, once
// only the new release runs. A drop lint is silent on (the default set again before COMMIT, a new
// column, no default) has no finding, so it is never offered here and runs as written.
bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  const DropDefault& d = *c.as<DropDefault>();
  if (!existing(cx, d.table)) return false;
  cx.contract.push_back(
      make_step(cx, Phase::Contract, "drop-default",
                "Drop the default of " + display_name(d.table) + "." + display_ident(d.column) +
                    " once no release leaves the column out of its INSERTs",
                "ALTER TABLE " + quote_name(d.table) + " ALTER COLUMN " + quote_ident(d.column) + " DROP DEFAULT",
                {d.table}, "dropping-default", in.index));
  return true;
}

}  // namespace dropping_default
}  // namespace detail

extern const Recipe recipe_dropping_default{
    .rule = "dropping-default",
    .summary = "DROP DEFAULT moved to contract, when no release relies on the default",
    .takes = takes<DropDefault>,
    .stage = detail::dropping_default::stage,
};

}  // namespace pgstage::planner
