// Test-only fault injection. PGSTAGE_FAULT=POINT:N (e.g. after-step:3, after-batch:2, in-retry:1)
// kills the process with SIGKILL the N-th time the executor reaches POINT. Unset: does nothing.
#pragma once

#include <string_view>

namespace pgstage::deployer {

void fault_point(std::string_view point);

}  // namespace pgstage::deployer
