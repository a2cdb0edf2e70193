#include "deployer/process_runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "deployer/log_tail.h"

namespace fs = std::filesystem;

namespace pgstage::deploy {
namespace {

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string safe(const std::string& s) {
  std::string out;
  for (char c : s) out += (isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return out;
}

// 'Z' (zombie), 'X' (dead) or no such process: it is gone.
bool alive(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!f || !std::getline(f, stat)) return false;
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

bool environ_names(pid_t pid, const std::string& id) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!f) return false;
  std::string env((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::string want = "PGSTAGE_INSTANCE=" + id;
  size_t pos = 0;
  while (pos < env.size()) {
    size_t end = env.find('\0', pos);
    if (end == std::string::npos) end = env.size();
    if (env.compare(pos, end - pos, want) == 0) return true;
    pos = end + 1;
  }
  return false;
}

// The process is ours while it lives and its environment names the instance. While a process
// is in execve (sh -c "exec app") its environ can read empty for a moment, so a live process
// whose environ does not match yet is asked again a few times before it counts as not ours.
bool is_ours(pid_t pid, const std::string& id) {
  if (pid <= 0) return false;
  waitpid(pid, nullptr, WNOHANG);  // reap it if it is our exited child
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (!alive(pid)) return false;
    if (environ_names(pid, id)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

ProcessRuntime::ProcessRuntime(std::string state_dir, std::string host)
    : dir_(std::move(state_dir) + "/processes"), host_(std::move(host)) {}

bool ProcessRuntime::start(const InstanceSpec& spec, Instance& out, std::string& err) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    err = "cannot create " + dir_ + ": " + ec.message();
    return false;
  }
  if (!spec.workdir.empty() && !fs::is_directory(spec.workdir, ec)) {
    err = "workdir " + spec.workdir + " of service " + spec.service + " is not a directory";
    return false;
  }
  int port = 0;
  if (!free_port(host_, port, err)) return false;
  long long created = now_ms();
  std::string id = safe(spec.service) + "-" + safe(spec.release) + "-" + std::to_string(port);
  std::string log = dir_ + "/" + id + ".log";
  int logfd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (logfd < 0) {
    err = "cannot create " + log + ": " + strerror(errno);
    return false;
  }
  // Closed by a successful exec: the parent waits for it so that, once start() returns, the
  // instance's /proc environment already names it (is_ours).
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    close(logfd);
    err = std::string("pipe failed: ") + strerror(errno);
    return false;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(logfd);
    close(exec_pipe[0]);
    close(exec_pipe[1]);
    err = std::string("fork failed: ") + strerror(errno);
    return false;
  }
  if (pid == 0) {
    setsid();
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(logfd, 1);
    dup2(logfd, 2);
    // Nothing else of pgstage's (the apply lock, sockets) may live on in the instance.
    for (int fd = 3; fd < 1024; ++fd)
      if (fd != exec_pipe[1]) close(fd);
    signal(SIGPIPE, SIG_DFL);
    for (const auto& [k, v] : spec.env) setenv(k.c_str(), v.c_str(), 1);
    setenv("PORT", std::to_string(port).c_str(), 1);
    setenv("PGSTAGE_INSTANCE", id.c_str(), 1);
    setenv("PGSTAGE_RELEASE", spec.release.c_str(), 1);
    if (!spec.workdir.empty() && chdir(spec.workdir.c_str()) != 0) {
      int e = errno;
      if (write(exec_pipe[1], &e, sizeof e) < 0) _exit(127);
      _exit(127);
    }
    execl("/bin/sh", "sh", "-c", spec.command.c_str(), static_cast<char*>(nullptr));
    int e = errno;
    if (write(exec_pipe[1], &e, sizeof e) < 0) _exit(127);
    _exit(127);
  }
  close(logfd);
  close(exec_pipe[1]);
  int exec_errno = 0;
  ssize_t got;
  do got = read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  while (got < 0 && errno == EINTR);
  close(exec_pipe[0]);
  if (got > 0) {
    waitpid(pid, nullptr, 0);
    err = std::string("cannot run /bin/sh: ") + strerror(exec_errno);
    return false;
  }
  nlohmann::json j = {{"id", id},           {"pid", pid},   {"service", spec.service},
                      {"release", spec.release}, {"host", host_}, {"port", port},
                      {"created", created}, {"log", log}};
  std::ofstream f(dir_ + "/" + id + ".json");
  f << j.dump() << "\n";
  f.close();
  if (!f) {
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    err = "cannot write " + dir_ + "/" + id + ".json";
    return false;
  }
  out = Instance{id, spec.service, spec.release, host_, port, static_cast<long>(created / 1000)};
  return true;
}

namespace {
bool read_record(const std::string& path, nlohmann::json& j) {
  std::ifstream f(path);
  if (!f) return false;
  try {
    f >> j;
    return j.is_object() && j.contains("pid") && j.contains("id");
  } catch (const std::exception&) {
    return false;
  }
}
}  // namespace

bool ProcessRuntime::state(const Instance& inst, InstanceState& out, std::string&) {
  nlohmann::json j;
  if (!read_record(dir_ + "/" + inst.id + ".json", j)) {
    out = InstanceState::Missing;
    return true;
  }
  out = is_ours(j["pid"].get<pid_t>(), inst.id) ? InstanceState::Running : InstanceState::Exited;
  return true;
}

bool ProcessRuntime::stop(const Instance& inst, Millis timeout, std::string& err) {
  nlohmann::json j;
  if (!read_record(dir_ + "/" + inst.id + ".json", j)) return true;
  pid_t pid = j["pid"].get<pid_t>();
  if (!is_ours(pid, inst.id)) return true;
  kill(-pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!is_ours(pid, inst.id)) return true;
    std::this_thread::sleep_for(50ms);
  }
  kill(-pid, SIGKILL);
  auto kill_deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < kill_deadline) {
    if (!is_ours(pid, inst.id)) return true;
    std::this_thread::sleep_for(20ms);
  }
  err = "instance " + inst.id + " (pid " + std::to_string(pid) + ") survived SIGKILL";
  return false;
}

bool ProcessRuntime::remove(const Instance& inst, std::string& err) {
  if (!stop(inst, 0ms, err)) return false;
  std::error_code ec;
  fs::remove(dir_ + "/" + inst.id + ".json", ec);
  fs::remove(dir_ + "/" + inst.id + ".log", ec);
  return true;
}

std::string ProcessRuntime::logs(const Instance& inst, int lines) {
  std::ifstream f(dir_ + "/" + inst.id + ".log", std::ios::binary);
  if (!f) return "";
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return last_lines(text, lines);
}

bool ProcessRuntime::list(const std::string& service, std::vector<Instance>& out, std::string&) {
  out.clear();
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return true;
  std::vector<std::pair<long long, Instance>> found;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.path().extension() != ".json") continue;
    nlohmann::json j;
    if (!read_record(e.path().string(), j)) continue;
    Instance i{j.value("id", ""), j.value("service", ""), j.value("release", ""),
               j.value("host", host_), j.value("port", 0), 0};
    long long created = j.value("created", 0LL);
    i.created = static_cast<long>(created / 1000);
    if (!service.empty() && i.service != service) continue;
    found.emplace_back(created, i);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [_, i] : found) out.push_back(std::move(i));
  return true;
}

}  // namespace pgstage::deploy
