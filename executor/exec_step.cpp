#include "executor/exec_step.h"

#include "planner/backfill_json.h"

namespace pgstage::executor {

std::string phase_str(planner::Phase p) {
  switch (p) {
    case planner::Phase::Expand:
      return "expand";
    case planner::Phase::Backfill:
      return "backfill";
    case planner::Phase::Contract:
      return "contract";
  }
  return "expand";
}

planner::Phase phase_from_str(const std::string& s) {
  if (s == "backfill") return planner::Phase::Backfill;
  if (s == "contract") return planner::Phase::Contract;
  return planner::Phase::Expand;
}

std::string backfill_to_json(const std::optional<planner::BackfillSpec>& b) {
  return b ? planner::backfill_spec_json(*b) : "{}";
}

std::optional<planner::BackfillSpec> backfill_from_json(const std::string& json) {
  return planner::backfill_spec_from_json(json);
}

bool is_long_running(const ExecStep& s) {
  if (s.backfill || !s.transactional) return true;
  return s.kind == "validate-constraint" || s.kind == "create-index-concurrently";
}

}  // namespace pgstage::executor
