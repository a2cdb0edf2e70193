#include "executor/exec_step.h"

#include <nlohmann/json.hpp>

namespace pgstage::executor {

std::string phase_str(planner::Phase p) {
  switch (p) {
    case planner::Phase::Expand: return "expand";
    case planner::Phase::Backfill: return "backfill";
    case planner::Phase::Contract: return "contract";
  }
  return "expand";
}

planner::Phase phase_from_str(const std::string& s) {
  if (s == "backfill") return planner::Phase::Backfill;
  if (s == "contract") return planner::Phase::Contract;
  return planner::Phase::Expand;
}

std::string backfill_to_json(const std::optional<planner::BackfillSpec>& b) {
  if (!b) return "{}";
  nlohmann::json j{{"schema", b->table.schema}, {"table", b->table.name}, {"key_columns", b->key_columns},
                   {"set_sql", b->set_sql}, {"predicate", b->predicate}, {"batch_size", b->batch_size}};
  return j.dump();
}

std::optional<planner::BackfillSpec> backfill_from_json(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("table")) return std::nullopt;
  planner::BackfillSpec b;
  b.table.schema = j.value("schema", "");
  b.table.name = j.value("table", "");
  b.key_columns = j.value("key_columns", std::vector<std::string>{});
  b.set_sql = j.value("set_sql", "");
  b.predicate = j.value("predicate", "");
  b.batch_size = j.value("batch_size", 1000);
  return b;
}

bool is_long_running(const ExecStep& s) {
  if (s.backfill || !s.transactional) return true;
  return s.kind == "validate-constraint" || s.kind == "create-index-concurrently";
}

}  // namespace pgstage::executor
