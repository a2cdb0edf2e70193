// The batched-backfill building block for a migration's UPDATE, shared by the recipes of
// backfill-in-migration (an UPDATE with WHERE) and unbounded-dml (without), and the step that runs a
// statement as written on its own (concurrently-in-transaction, backfill-in-migration's INSERT ... SELECT).
#include <algorithm>
#include <optional>

#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/sql.h"

namespace pgstage::planner::detail {

std::optional<BackfillSpec> update_backfill_spec(const Ctx& cx, const StatementInput& in, const Dml& d,
                                                 std::string& problem) {
  std::string sql = text_of(cx, in);
  auto words = top_words(sql);
  auto find = [&](const char* kw) {
    return std::find_if(words.begin(), words.end(), [&](const Word& w) { return w.depth == 0 && w.upper == kw; });
  };
  auto set = find("SET");
  problem = "form";
  if (words.empty() || words[0].upper != "UPDATE" || set == words.end()) return std::nullopt;
  // Between UPDATE [ONLY] and SET there must be nothing but the table name (no alias).
  size_t name_words = 0;
  for (auto w = words.begin() + 1; w != set; ++w)
    if (w->upper != "ONLY") ++name_words;
  size_t parts = d.table.schema.empty() ? 1 : 2;
  if (find("RETURNING") != words.end() || name_words > parts || (find("CURRENT") != words.end())) return std::nullopt;
  auto where = find("WHERE");
  auto from = find("FROM");
  if (from != words.end() && where != words.end() && where->begin < from->begin) from = words.end();
  size_t set_end = from != words.end() ? from->begin : (where == words.end() ? sql.size() : where->begin);
  std::string set_sql = sql.substr(set->end, set_end - set->end);
  std::string from_sql =
      from == words.end() ? "" : sql.substr(from->end, (where == words.end() ? sql.size() : where->begin) - from->end);
  std::string predicate = where == words.end() ? "" : sql.substr(where->end);
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  problem = "key";
  std::vector<std::string> key = cx.primary_key(d.table);
  if (key.empty()) return std::nullopt;
  problem.clear();
  // The migration's own UPDATE: as written it fires the table's triggers, so its batches do too.
  return BackfillSpec{d.table, key, trim(set_sql), trim(predicate), cx.opts.batch_size, trim(from_sql),
                      /*fire_user_triggers=*/true};
}

void add_update_backfill(Ctx& cx, const StatementInput& in, BackfillSpec spec, const std::string& rule) {
  QualifiedName t = spec.table;
  cx.backfill.push_back(
      make_backfill(cx, Phase::Backfill,
                    "Run the migration's UPDATE of " + display_name(t) +
                        " in short batches by key instead of one long transaction that holds locks on the whole table",
                    std::move(spec), rule, in.index));
  cx.backfilled_tables.push_back(t);
}

bool stage_update_backfill(Ctx& cx, const StatementInput& in, const Change& c, const std::string& rule) {
  const Dml& d = *c.as<Dml>();
  if (d.kind != DmlKind::Update || !existing(cx, d.table)) return false;
  if (!single(cx, in, c, rule)) return true;
  std::string problem;
  auto spec = update_backfill_spec(cx, in, d, problem);
  if (problem == "form")
    cx.fail(at(in, c), rule +
                           ": only `UPDATE table SET ... [FROM ...] [WHERE ...]` can become a batched backfill; "
                           "rewrite the statement in that form (no WITH, alias, RETURNING or WHERE CURRENT OF; in "
                           "FROM, name the updated table by its name)");
  else if (problem == "key")
    cx.key_of(d.table, at(in, c), rule);  // fails, saying why
  else
    add_update_backfill(cx, in, std::move(*spec), rule);
  return true;
}

void own_step(Ctx& cx, const StatementInput& in, bool transactional, const std::string& rule) {
  std::string text = text_of(cx, in);
  Step s = make_step(cx, Phase::Expand, transactional ? "dml" : "non-transactional",
                     transactional ? "Run the migration's statement in its own short transaction, apart from "
                                     "the DDL, so its row locks and the DDL locks are not held together"
                                   : "Run the migration's statement on its own, outside a transaction block "
                                     "(Postgres refuses CONCURRENTLY inside one)",
                     transactional ? text : rerunnable(text, *in.lowered), {}, rule, in.index);
  s.transactional = transactional;
  for (auto& t : in.lock.tables) add_table(s.tables, t.table);
  cx.expand.push_back(std::move(s));
}

}  // namespace pgstage::planner::detail
