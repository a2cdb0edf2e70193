// Test-only fault injection shared by the executor and the deployer: PGSTAGE_FAULT=POINT:N kills the
// process with SIGKILL the N-th time it reaches POINT (each layer documents its points in its own
// fault.h). Unset: does nothing. With PGSTAGE_FAULT_PAUSE=FILE as well, the N-th arrival pauses
// instead: it writes its pid to FILE and goes on once FILE is removed (at most 10 minutes later),
// so a test can act at that exact moment (kill a node, stop a service) and then let it continue.
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
