#include "deploy/runtime.h"

#include <random>

#include "deploy/docker_runtime.h"
#include "deploy/process_runtime.h"
#include "deploy/swarm_runtime.h"

namespace pgstage::deploy {

std::unique_ptr<Runtime> make_runtime(const DeployConfig& cfg) {
  if (cfg.runtime == RuntimeKind::Process) return std::make_unique<ProcessRuntime>(cfg.state_dir, cfg.host);
  if (cfg.runtime == RuntimeKind::Swarm) return std::make_unique<SwarmRuntime>(cfg.docker_socket);
  return std::make_unique<DockerRuntime>(cfg.docker_socket, cfg.network, cfg.host);
}

std::string random_suffix() {
  static std::mt19937 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 6; ++i) s += hex[rng() % 16];
  return s;
}

bool Runtime::running_in_group(const std::string&, std::vector<Instance>& out, std::string&) {
  out.clear();
  return true;
}

bool Runtime::start_many(const InstanceSpec& spec, int n, Millis, std::vector<Instance>& out, std::string& err) {
  out.clear();
  for (int k = 0; k < n; ++k) {
    Instance inst;
    if (!start(spec, inst, err)) {
      std::string ignored;
      for (const auto& i : out) remove(i, ignored);
      if (!out.empty()) err += "; removed the " + std::to_string(out.size()) + " new instance(s) already started";
      out.clear();
      return false;
    }
    out.push_back(inst);
  }
  return true;
}

}  // namespace pgstage::deploy
