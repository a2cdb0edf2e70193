// Test-only fault injection for the deploy sequence, the same variable as the executor's
// (executor/fault.h): PGSTAGE_FAULT=POINT:N kills the process with SIGKILL the N-th time the
// deploy reaches POINT. Points: deploy-before-STEP (STEP = start_new, wait_healthy, switch,
// drain_old, stop_old, record: the step is journaled, not yet acted on), deploy-in-drain_old (the
// old slot is set to drain, its sessions not yet zero), deploy-between-services (one service is
// swapped, the next not started), deploy-before-release-record (every service swapped, the release
// not recorded). Unset: does nothing.
#pragma once

#include <string_view>

namespace pgstage::deploy {

void fault_point(std::string_view point);

}  // namespace pgstage::deploy
