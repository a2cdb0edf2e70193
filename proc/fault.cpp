#include "proc/fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>

namespace pgstage::proc {

namespace {
thread_local int off = 0;
}

FaultPointsOff::FaultPointsOff() { ++off; }
FaultPointsOff::~FaultPointsOff() { --off; }

void fault_point(std::string_view point) {
  if (off > 0) return;
  const char* spec = std::getenv("PGSTAGE_FAULT");
  if (!spec) return;
  static std::map<std::string, int, std::less<>> counts;
  std::string s(spec);
  auto colon = s.rfind(':');
  if (colon == std::string::npos || s.substr(0, colon) != point) return;
  int n = std::atoi(s.c_str() + colon + 1);
  if (++counts[std::string(point)] == n) {
    kill(getpid(), SIGKILL);
    _exit(137);
  }
}

}  // namespace pgstage::proc
