#include "deploy/runtime.h"

#include "deploy/docker_runtime.h"
#include "deploy/process_runtime.h"

namespace pgstage::deploy {

std::unique_ptr<Runtime> make_runtime(const DeployConfig& cfg) {
  if (cfg.runtime == RuntimeKind::Process) return std::make_unique<ProcessRuntime>(cfg.state_dir, cfg.host);
  return std::make_unique<DockerRuntime>(cfg.docker_socket, cfg.network, cfg.host);
}

}  // namespace pgstage::deploy
