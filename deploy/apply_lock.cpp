#include "deploy/apply_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

namespace pgstage::deploy {

ApplyLock::~ApplyLock() {
  if (fd_ >= 0) close(fd_);
}

bool ApplyLock::acquire(const std::string& state_dir, std::string& err) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  std::string path = state_dir + "/apply.lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    err = "cannot open " + path + ": " + strerror(errno);
    return false;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    err = "another pgstage apply is running (pid " + holder + ", lock " + path + "); try again when it finishes";
    close(fd);
    return false;
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock itself is what matters; the pid is only for the message above.
  }
  fd_ = fd;
  return true;
}

}  // namespace pgstage::deploy
