#include "deploy/process_runtime.h"

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

#include "deploy/log_tail.h"
#include "proc/port.h"
#include "proc/process.h"

namespace fs = std::filesystem;

namespace pgstage::deploy {
namespace {

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
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
  if (!proc::free_port(host_, port, err)) return false;
  long long created = now_ms();
  std::string id = safe(spec.service) + "-" + safe(spec.release) + "-" + std::to_string(port);
  std::string log = dir_ + "/" + id + ".log";
  // The command is the user's own shell line from [services.NAME] command, so a shell runs it.
  // spawn() returns once it is exec'd: the instance's /proc environment already names it (is_ours).
  proc::Command cmd{.argv = {"/bin/sh", "-c", spec.command},
                    .env = spec.env,
                    .cwd = spec.workdir,
                    .output_file = log,
                    .new_session = true};
  cmd.env["PORT"] = std::to_string(port);
  cmd.env["PGSTAGE_INSTANCE"] = id;
  cmd.env["PGSTAGE_RELEASE"] = spec.release;
  pid_t pid = proc::spawn(cmd, err);
  if (pid < 0) return false;
  nlohmann::json j = {{"id", id},      {"pid", pid},   {"service", spec.service}, {"release", spec.release},
                      {"host", host_}, {"port", port}, {"created", created},      {"log", log}};
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
    Instance i{j.value("id", ""),      j.value("service", ""), j.value("release", ""),
               j.value("host", host_), j.value("port", 0),     0};
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
