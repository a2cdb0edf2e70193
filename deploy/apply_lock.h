// One apply at a time: an exclusive flock on <state_dir>/apply.lock. The kernel releases it when
// the holder exits, even on kill -9, so a crashed apply never blocks the next one.
#pragma once

#include <string>

namespace pgstage::deploy {

class ApplyLock {
 public:
  ApplyLock() = default;
  ApplyLock(const ApplyLock&) = delete;
  ApplyLock& operator=(const ApplyLock&) = delete;
  ~ApplyLock();
  // Returns false and fills `err` when another process holds the lock (naming its pid).
  bool acquire(const std::string& state_dir, std::string& err);

 private:
  int fd_ = -1;
};

}  // namespace pgstage::deploy
