#include "deploy/fault.h"

#include "proc/fault.h"

namespace pgstage::deploy {

void fault_point(std::string_view point) { proc::fault_point(point); }

}  // namespace pgstage::deploy
