#include "executor/backfill.h"

#include "analyzer/rule_api.h"
#include "planner/planner.h"

namespace pgstage::executor {

namespace {
std::vector<std::string> literals(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (auto& v : values) out.push_back(quote_literal(v));  // standard_conforming_strings: quotes doubled
  return out;
}
}  // namespace

std::string bound_sql_for(const planner::BackfillSpec& spec, const std::vector<std::string>& last_key,
                          int batch_size) {
  return planner::backfill_bound_sql(spec, literals(last_key), batch_size);
}

std::string update_sql_for(const planner::BackfillSpec& spec, const std::vector<std::string>& last_key,
                           const std::vector<std::string>& upper_key) {
  return planner::backfill_update_sql(spec, literals(last_key), literals(upper_key));
}

}  // namespace pgstage::executor
