// Instances as containers through the Docker Engine API on its unix socket. Podman serves the
// same API (`podman system service`), so the same code drives both. Containers are labelled
// io.pgstage.managed/service/release/port; list() only ever returns labelled containers.
#pragma once

#include "deploy/runtime.h"

namespace pgstage::deploy {

class DockerRuntime : public Runtime {
 public:
  // network "host": the container shares the host network and listens on env PORT (a free port
  // pgstage picks); "bridge": the container's `port` is published on host:<free port>.
  DockerRuntime(std::string socket, std::string network, std::string host);
  std::string name() const override { return "docker"; }
  bool start(const InstanceSpec& spec, Instance& out, std::string& err) override;
  bool state(const Instance& inst, InstanceState& out, std::string& err) override;
  bool stop(const Instance& inst, Millis timeout, std::string& err) override;
  bool remove(const Instance& inst, std::string& err) override;
  std::string logs(const Instance& inst, int lines) override;
  bool list(const std::string& service, std::vector<Instance>& out, std::string& err) override;

 protected:
  bool call(const std::string& method, const std::string& path, const std::string& body, Millis timeout, long& status,
            std::string& resp, std::string& err);
  // The last `lines` lines of the output the Engine API serves at `path` (.../logs), demultiplexed;
  // "" when unavailable.
  std::string logs_at(const std::string& path, int lines);
  std::string socket_, network_, host_;
};

// The message of an Engine API error body ({"message": ...}), else its start.
std::string docker_api_message(const std::string& body);

}  // namespace pgstage::deploy
