#include "executor/backfill.h"

#include "analyzer/rule_api.h"

namespace pgstage::executor {

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

namespace {
std::vector<std::string> quoted_keys(const planner::BackfillSpec& spec) {
  std::vector<std::string> keys;
  for (auto& k : spec.key_columns) keys.push_back(quote_ident(k));
  return keys;
}

// "(k1, k2) OP ('v1', 'v2')"; unknown-typed literals take the key columns' types.
std::string key_compare(const std::vector<std::string>& keys, const std::string& op,
                        const std::vector<std::string>& values) {
  std::vector<std::string> lits;
  for (auto& v : values) lits.push_back(sql_literal(v));
  return "(" + join(keys) + ") " + op + " (" + join(lits) + ")";
}

std::string conditions(const planner::BackfillSpec& spec, const std::vector<std::string>& keys,
                       const std::vector<std::string>& last_key, const std::vector<std::string>& upper_key) {
  std::vector<std::string> c;
  if (!last_key.empty() && last_key.size() == keys.size()) c.push_back(key_compare(keys, ">", last_key));
  if (!upper_key.empty() && upper_key.size() == keys.size()) c.push_back(key_compare(keys, "<=", upper_key));
  if (!spec.predicate.empty()) c.push_back("(" + spec.predicate + ")");
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) out += (i ? " AND " : " WHERE ") + c[i];
  return out;
}
}  // namespace

std::string backfill_bound_sql(const planner::BackfillSpec& spec, const std::vector<std::string>& last_key,
                               int batch_size) {
  auto keys = quoted_keys(spec);
  // Sort by batch.<key>, not by the ::text output columns of the same name (those sort as text).
  std::vector<std::string> outer;
  for (auto& k : keys) outer.push_back("batch." + k);
  return "SELECT " + join(outer, "::text") + " FROM (SELECT " + join(keys) + " FROM " + quote_name(spec.table) +
         conditions(spec, keys, last_key, {}) + " ORDER BY " + join(keys) + " LIMIT " + std::to_string(batch_size) +
         ") AS batch ORDER BY " + join(outer, " DESC") + " LIMIT 1";
}

std::string backfill_update_sql(const planner::BackfillSpec& spec, const std::vector<std::string>& last_key,
                                const std::vector<std::string>& upper_key) {
  auto keys = quoted_keys(spec);
  return "UPDATE " + quote_name(spec.table) + " SET " + spec.set_sql + conditions(spec, keys, last_key, upper_key);
}

std::string backfill_estimate_sql(const planner::BackfillSpec& spec) {
  return "SELECT coalesce((SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass(" +
         sql_literal(quote_name(spec.table)) + ")), -1)";
}

}  // namespace pgstage::executor
