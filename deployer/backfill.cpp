#include "deployer/backfill.h"

#include "analyzer/rule_api.h"

namespace pgstage::deployer {

std::string sql_literal(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

namespace {
std::string join(const std::vector<std::string>& v, const std::string& suffix = "") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i] + suffix;
  return out;
}
}  // namespace

std::string backfill_batch_sql(const planner::BackfillSpec& spec, const std::vector<std::string>& last_key,
                               int batch_size) {
  std::vector<std::string> keys;
  for (auto& k : spec.key_columns) keys.push_back(quote_ident(k));
  std::string table = quote_name(spec.table);
  std::string key_list = join(keys);
  std::string where;
  if (!last_key.empty() && last_key.size() == keys.size()) {
    std::vector<std::string> lits;
    for (auto& v : last_key) lits.push_back(sql_literal(v));
    where = "(" + key_list + ") > (" + join(lits) + ")";
  }
  if (!spec.predicate.empty()) where += (where.empty() ? "" : " AND ") + std::string("(") + spec.predicate + ")";
  std::string select_last;
  for (auto& k : keys) select_last += ", " + k + "::text";
  return "WITH batch AS (SELECT " + key_list + " FROM " + table + (where.empty() ? "" : " WHERE " + where) +
         " ORDER BY " + key_list + " LIMIT " + std::to_string(batch_size) + "), updated AS (UPDATE " + table + " SET " +
         spec.set_sql + " WHERE (" + key_list + ") IN (SELECT " + key_list + " FROM batch) RETURNING 1) SELECT (SELECT count(*) FROM updated)" +
         select_last + " FROM batch ORDER BY " + join(keys, " DESC") + " LIMIT 1";
}

std::string backfill_estimate_sql(const planner::BackfillSpec& spec) {
  return "SELECT coalesce((SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass(" +
         sql_literal(quote_name(spec.table)) + ")), -1)";
}

}  // namespace pgstage::deployer
