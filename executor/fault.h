// Test-only fault injection. PGSTAGE_FAULT=POINT:N kills the process with SIGKILL the N-th time
// the executor reaches POINT: after-step (a step is recorded done), after-batch (a backfill batch
// committed), in-retry (waiting to retry after a lock timeout), before-record (a non-transactional
// step took effect but is not recorded yet), baseline-record (`pgstage baseline` inserted a
// migration row, not committed). Unset: does nothing.
#pragma once

#include <string_view>

#include "proc/fault.h"

namespace pgstage::executor {

void fault_point(std::string_view point);

// While one exists, fault points do nothing (apply's verification runs the executor on a throwaway
// database: its steps and batches are not the ones PGSTAGE_FAULT counts).
using FaultPointsOff = proc::FaultPointsOff;

}  // namespace pgstage::executor
