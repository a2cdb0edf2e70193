// reindex-non-concurrent: REINDEX ... CONCURRENTLY in its own step, outside a transaction (PG 12+).
#include <cctype>

#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace reindex_non_concurrent {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  const Reindex& r = *c.as<Reindex>();
  if (r.concurrently || r.kind == "system" || cx.opts.settings.pg_version < 12) return false;
  std::string kind = r.kind;
  for (auto& ch : kind) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  std::string target = r.kind == "schema" || r.kind == "database" ? quote_ident(r.name.name) : quote_name(r.name);
  Step s = make_step(cx, Phase::Expand, "reindex-concurrently",
                     "Rebuild " + display_name(r.name) + " CONCURRENTLY (writes continue), outside a transaction",
                     "REINDEX " + kind + " CONCURRENTLY " + target, {}, "reindex-non-concurrent", in.index);
  s.transactional = false;
  cx.expand.push_back(std::move(s));
  return true;
}

}  // namespace reindex_non_concurrent
}  // namespace detail

extern const Recipe recipe_reindex_non_concurrent{
    .rule = "reindex-non-concurrent",
    .summary = "REINDEX ... CONCURRENTLY",
    .takes = takes<Reindex>,
    .stage = detail::reindex_non_concurrent::stage,
};

}  // namespace pgstage::planner
