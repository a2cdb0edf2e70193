// Test-only fault injection shared by the executor and the deployer: PGSTAGE_FAULT=POINT:N kills the
// process with SIGKILL the N-th time it reaches POINT (each layer documents its points in its own
// fault.h). Unset: does nothing.
#pragma once

#include <string_view>

namespace pgstage::proc {

void fault_point(std::string_view point);

// While one exists (on this thread), fault points do nothing.
class FaultPointsOff {
 public:
  FaultPointsOff();
  ~FaultPointsOff();
  FaultPointsOff(const FaultPointsOff&) = delete;
  FaultPointsOff& operator=(const FaultPointsOff&) = delete;
};

}  // namespace pgstage::proc
