// drop-index-non-concurrent: DROP INDEX CONCURRENTLY IF EXISTS, one step per index, outside a transaction.
#include <algorithm>

#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace drop_index_non_concurrent {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  const DropIndex& d = *c.as<DropIndex>();
  if (d.concurrently) return false;
  bool any = std::any_of(d.names.begin(), d.names.end(), [&](const QualifiedName& n) {
    const CatalogIndex* ix = cx.catalog.index(n);
    return !ix || !ix->created_in_review;
  });
  if (!any) return false;
  const std::string rule = "drop-index-non-concurrent";
  if (d.cascade) {
    cx.fail(at(in, c), rule +
                           ": DROP INDEX CONCURRENTLY cannot CASCADE; drop the dependent objects first, then the "
                           "index without CASCADE, and plan again");
    return true;
  }
  for (auto& n : d.names) {
    const CatalogIndex* ix = cx.catalog.index(n);
    std::vector<QualifiedName> tables;
    if (ix) tables.push_back(ix->table);
    if (const CatalogTable* t = ix ? cx.catalog.table(ix->table) : nullptr; t && t->kind == "partitioned") {
      // Postgres refuses CONCURRENTLY for a partitioned index: as written, catalog-only, in a step
      // the executor runs with its lock timeout and retries.
      cx.expand.push_back(make_step(cx, Phase::Expand, "drop-index",
                                    "Drop partitioned index " + display_name(n) +
                                        " (Postgres cannot drop it CONCURRENTLY): no rows are read, but it takes "
                                        "ACCESS EXCLUSIVE on " + display_name(ix->table) +
                                        " and each partition for that moment, taken under the lock timeout and "
                                        "retried",
                                    "DROP INDEX IF EXISTS " + quote_name(n), tables, rule, in.index));
      continue;
    }
    Step s = make_step(cx, Phase::Expand, "drop-index-concurrently",
                       "Drop index " + display_name(n) +
                           " CONCURRENTLY (reads and writes continue), outside a "
                           "transaction",
                       "DROP INDEX CONCURRENTLY IF EXISTS " + quote_name(n), tables, rule, in.index);
    s.transactional = false;
    cx.expand.push_back(std::move(s));
  }
  return true;
}

}  // namespace drop_index_non_concurrent
}  // namespace detail

extern const Recipe recipe_drop_index_non_concurrent{
    .rule = "drop-index-non-concurrent",
    .summary = "DROP INDEX CONCURRENTLY",
    .takes = takes<DropIndex>,
    .stage = detail::drop_index_non_concurrent::stage,
};

}  // namespace pgstage::planner
