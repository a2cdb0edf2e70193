#include "proc/fault.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

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
  if (++counts[std::string(point)] != n) return;
  if (const char* pause = std::getenv("PGSTAGE_FAULT_PAUSE"); pause && *pause) {
    // Paused instead of killed: the test acts on the world at this exact moment, then lets go.
    namespace fs = std::filesystem;
    std::ofstream(pause) << getpid() << "\n";
    auto until = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    std::error_code ec;
    while (fs::exists(pause, ec) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return;
  }
  kill(getpid(), SIGKILL);
  _exit(137);
}

}  // namespace pgstage::proc
