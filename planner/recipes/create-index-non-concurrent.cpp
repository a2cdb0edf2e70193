// create-index-non-concurrent: the CREATE INDEX built CONCURRENTLY (and re-runnably) in its own step, outside a
// transaction.
#include <algorithm>

#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace create_index_non_concurrent {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  const CreateIndex& ci = *c.as<CreateIndex>();
  if (ci.concurrently || !existing(cx, ci.table)) return false;
  const std::string rule = "create-index-non-concurrent";
  if (!single(cx, in, c, rule)) return true;
  std::string sql = text_of(cx, in);
  auto words = top_words(sql);
  auto idx = std::find_if(words.begin(), words.end(), [](const Word& w) { return w.upper == "INDEX"; });
  if (idx == words.end()) {
    cx.fail(at(in, c), rule + ": cannot find INDEX in the statement");
    return true;
  }
  if (const CatalogTable* tab = cx.catalog.table(ci.table); tab && tab->kind == "partitioned" && !ci.only) {
    // Postgres refuses CONCURRENTLY on a partitioned table: ON ONLY on it, then each partition's.
    std::string name = ci.name;
    if (name.empty()) {
      std::vector<std::string> cols;
      for (auto& col : ci.columns) cols.push_back(index_key_name(col));
      name = pg_default_name(ci.table.name, cols, "idx");
    }
    CatalogIndex ix{name,          ci.table,   ci.columns, ci.unique,  true, false, ci.method, ci.key_options,
                    ci.include, ci.where_sql, ci.storage};
    for (auto& s : partitioned_index_steps(cx, ci.table, ix, tab, rule, in.index, at(in, c)))
      cx.expand.push_back(std::move(s));
    return true;
  }
  std::string insert = " CONCURRENTLY";
  std::string name = ci.name;
  if (!ci.if_not_exists) {
    if (name.empty()) {
      std::vector<std::string> cols;
      for (auto& col : ci.columns) cols.push_back(index_key_name(col));
      name = pg_default_name(ci.table.name, cols, "idx");  // ChooseIndexName: "key" is for constraints only
      insert += " IF NOT EXISTS " + quote_ident(name);
    } else {
      insert += " IF NOT EXISTS";
    }
  }
  sql.insert(idx->end, insert);
  cx.expand.push_back(make_step(cx, Phase::Expand, "create-index-concurrently",
                                "Build index " + display_ident(name) + " on " + display_name(ci.table) +
                                    " CONCURRENTLY (SHARE UPDATE EXCLUSIVE: writes continue), outside a transaction",
                                sql, {ci.table}, rule, in.index));
  cx.expand.back().transactional = false;
  return true;
}

}  // namespace create_index_non_concurrent
}  // namespace detail

extern const Recipe recipe_create_index_non_concurrent{
    .rule = "create-index-non-concurrent",
    .summary = "CREATE INDEX CONCURRENTLY in its own non-transactional step",
    .takes = takes<CreateIndex>,
    .stage = detail::create_index_non_concurrent::stage,
};

}  // namespace pgstage::planner
