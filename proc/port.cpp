#include "proc/port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pgstage::proc {

bool free_port(const std::string& host, int& port, std::string& err) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = std::string("socket: ") + strerror(errno);
    return false;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    close(fd);
    err = "host " + host + " is not an IPv4 address";
    return false;
  }
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    err = "cannot find a free port on " + host + ": " + strerror(errno);
    close(fd);
    return false;
  }
  port = ntohs(a.sin_port);
  close(fd);
  return true;
}

}  // namespace pgstage::proc
