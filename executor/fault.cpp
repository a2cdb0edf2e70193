#include "executor/fault.h"

#include "proc/fault.h"

namespace pgstage::executor {

void fault_point(std::string_view point) { proc::fault_point(point); }

}  // namespace pgstage::executor
