// The one batched-backfill algorithm: the SQL the executor runs per batch and the text plans show.
#include "analyzer/rule_api.h"
#include "planner/planner.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace {
std::string join(const std::vector<std::string>& v, const std::string& suffix = "") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i] + suffix;
  return out;
}

// The key columns; qualified with the table when the UPDATE joins other tables (FROM).
std::vector<std::string> keys_of(const BackfillSpec& b) {
  std::vector<std::string> keys;
  for (auto& k : b.key_columns) keys.push_back((b.from_sql.empty() ? "" : quote_name(b.table) + ".") + quote_ident(k));
  return keys;
}

std::string compare(const std::vector<std::string>& keys, const std::string& op, const std::vector<std::string>& v) {
  return "(" + join(keys) + ") " + op + " (" + join(v) + ")";
}

std::string conditions(const BackfillSpec& b, const std::vector<std::string>& keys, const std::vector<std::string>& after,
                       const std::vector<std::string>& upper) {
  std::vector<std::string> c;
  if (!after.empty() && after.size() == keys.size()) c.push_back(compare(keys, ">", after));
  if (!upper.empty() && upper.size() == keys.size()) c.push_back(compare(keys, "<=", upper));
  if (!b.predicate.empty()) c.push_back("(" + b.predicate + ")");
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) out += (i ? " AND " : " WHERE ") + c[i];
  return out;
}

std::vector<std::string> params(size_t n, size_t first) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back("$" + std::to_string(first + i));
  return out;
}
}  // namespace

std::string backfill_bound_sql(const BackfillSpec& b, const std::vector<std::string>& after, int batch_size) {
  auto keys = keys_of(b);
  // Sort by batch.<key>, not by the ::text output columns of the same name (those sort as text).
  std::vector<std::string> outer;
  for (auto& k : b.key_columns) outer.push_back("batch." + quote_ident(k));
  return "SELECT " + join(outer, "::text") + " FROM (SELECT " + std::string(b.from_sql.empty() ? "" : "DISTINCT ") +
         join(keys) + " FROM " + quote_name(b.table) + (b.from_sql.empty() ? "" : ", " + b.from_sql) +
         conditions(b, keys, after, {}) + " ORDER BY " + join(keys) + " LIMIT " + std::to_string(batch_size) +
         ") AS batch ORDER BY " + join(outer, " DESC") + " LIMIT 1";
}

std::string backfill_update_sql(const BackfillSpec& b, const std::vector<std::string>& after,
                                const std::vector<std::string>& upper) {
  return "UPDATE " + quote_name(b.table) + " SET " + b.set_sql + (b.from_sql.empty() ? "" : " FROM " + b.from_sql) +
         conditions(b, keys_of(b), after, upper);
}

std::string backfill_estimate_sql(const BackfillSpec& b) {
  return "SELECT coalesce((SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass(" +
         quote_literal(quote_name(b.table)) + ")), -1)";
}

std::string backfill_batch_text(const BackfillSpec& b) {
  size_t n = b.key_columns.size();
  return backfill_bound_sql(b, params(n, 1), b.batch_size) + ";  -- the batch's last key: $" +
         std::to_string(n + 1) + (n > 1 ? "..$" + std::to_string(2 * n) : "") + "\n" +
         backfill_update_sql(b, params(n, 1), params(n, n + 1));
}

}  // namespace pgstage::planner
