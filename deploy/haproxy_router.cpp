#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <sstream>

#include "deploy/router.h"

namespace pgstage::deploy {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.push_back("");
  return out;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// srv_admin_state bits (HAProxy include/haproxy/server-t.h: enum srv_admin). 0x04 (CMAINT,
// "disabled" in the config) stays set after `state ready`, so it does not mean maintenance.
constexpr int kAdmForcedMaint = 0x01, kAdmInheritedMaint = 0x02, kAdmForcedDrain = 0x08, kAdmInheritedDrain = 0x10,
              kAdmResolveMaint = 0x20, kAdmHostnameMaint = 0x40;

}  // namespace

const char* slot_state_name(SlotState s) {
  switch (s) {
    case SlotState::Ready:
      return "ready";
    case SlotState::Drain:
      return "drain";
    case SlotState::Maint:
      return "maint";
  }
  return "?";
}

bool HaproxyRouter::command(const std::string& cmd, std::string& answer, std::string& err) {
  answer.clear();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = std::string("socket: ") + strerror(errno);
    return false;
  }
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof a.sun_path) {
    close(fd);
    err = "HAProxy socket path too long: " + socket_;
    return false;
  }
  std::strncpy(a.sun_path, socket_.c_str(), sizeof a.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    err = "cannot connect to the HAProxy runtime API at " + socket_ + ": " + strerror(errno);
    close(fd);
    return false;
  }
  std::string line = cmd + "\n";
  if (send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    err = "HAProxy runtime API at " + socket_ + ": write failed: " + strerror(errno);
    close(fd);
    return false;
  }
  // Non-interactive mode: HAProxy answers one command and closes the connection.
  auto deadline = std::chrono::steady_clock::now() + kRouterCommandTimeout;
  char buf[8192];
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      err = "HAProxy runtime API at " + socket_ + ": no answer to `" + cmd + "` within " +
            std::to_string(kRouterCommandTimeout.count()) + "ms";
      close(fd);
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

bool HaproxyRouter::simple(const std::string& cmd, std::string& err) {
  std::string answer;
  if (!command(cmd, answer, err)) return false;
  // Successful `set server`/`shutdown` commands answer nothing, or a note about what changed.
  std::string a = answer;
  while (!a.empty() && (a.back() == '\n' || a.back() == ' ')) a.pop_back();
  if (a.empty() || a.rfind("IP changed", 0) == 0 || a.rfind("no need to change", 0) == 0 ||
      a.rfind("port changed", 0) == 0)
    return true;
  err = "HAProxy refused `" + cmd + "`: " + a;
  return false;
}

bool HaproxyRouter::slots(const std::string& backend, std::vector<Slot>& out, std::string& err) {
  out.clear();
  std::string answer;
  if (!command("show servers state " + backend, answer, err)) return false;
  std::istringstream in(answer);
  std::string line;
  std::map<std::string, size_t> col;
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0) {
      auto names = words(line.substr(2));
      for (size_t i = 0; i < names.size(); ++i) col[names[i]] = i;
      continue;
    }
    auto w = words(line);
    if (col.empty() || w.size() < col.size() - 4) {
      if (line.find("Can't find backend") != std::string::npos) {
        err = "HAProxy has no backend \"" + backend + "\" (see samples/haproxy.cfg)";
        return false;
      }
      continue;
    }
    auto get = [&](const char* k) -> std::string {
      auto it = col.find(k);
      return it != col.end() && it->second < w.size() ? w[it->second] : "";
    };
    if (get("be_name") != backend) continue;
    Slot s;
    s.server = get("srv_name");
    s.addr = get("srv_addr");
    s.port = std::atoi(get("srv_port").c_str());
    int adm = std::atoi(get("srv_admin_state").c_str());
    if (adm & (kAdmForcedMaint | kAdmInheritedMaint | kAdmResolveMaint | kAdmHostnameMaint))
      s.state = SlotState::Maint;
    else if (adm & (kAdmForcedDrain | kAdmInheritedDrain))
      s.state = SlotState::Drain;
    else
      s.state = SlotState::Ready;
    if (!sessions(backend, s.server, s.sessions, err)) return false;
    out.push_back(s);
  }
  if (col.empty()) {
    err = "HAProxy: unexpected answer to `show servers state " + backend + "`: " + answer.substr(0, 200);
    return false;
  }
  return true;
}

bool HaproxyRouter::set_addr(const std::string& backend, const std::string& server, const std::string& addr, int port,
                             std::string& err) {
  return simple("set server " + backend + "/" + server + " addr " + addr + " port " + std::to_string(port), err);
}

bool HaproxyRouter::set_state(const std::string& backend, const std::string& server, SlotState state,
                              std::string& err) {
  return simple("set server " + backend + "/" + server + " state " + slot_state_name(state), err);
}

bool HaproxyRouter::sessions(const std::string& backend, const std::string& server, int& out, std::string& err) {
  std::string answer;
  if (!command("show stat", answer, err)) return false;
  std::istringstream in(answer);
  std::string line;
  std::map<std::string, size_t> col;
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0) {
      auto names = split(line.substr(2), ',');
      for (size_t i = 0; i < names.size(); ++i) col[names[i]] = i;
      continue;
    }
    auto f = split(line, ',');
    if (col.empty() || f.size() < 5 || f[col["pxname"]] != backend || f[col["svname"]] != server) continue;
    out = std::atoi(f[col["scur"]].c_str());
    return true;
  }
  err = "HAProxy has no server " + backend + "/" + server + " (see samples/haproxy.cfg)";
  return false;
}

bool HaproxyRouter::shutdown_sessions(const std::string& backend, const std::string& server, std::string& err) {
  return simple("shutdown sessions server " + backend + "/" + server, err);
}

}  // namespace pgstage::deploy
