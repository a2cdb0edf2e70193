// The [deploy] and [services.NAME] sections of pgstage.toml, as the deployer uses them. The file is
// read and validated by the project configuration's loader (cli/config.h).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "deploy/deploy_defaults.h"

namespace pgstage::deploy {

enum class RuntimeKind { Docker, Process, Swarm };

struct ServiceConfig {
  std::string name;
  std::string image;                       // docker runtime; "{release}" is replaced by the release name
  std::string command;                     // process runtime (run with /bin/sh -c); "{release}" replaced too
  std::string workdir;                     // process runtime: the command's working directory (empty: pgstage's)
  std::map<std::string, std::string> env;  // values may contain "{release}"
  int port = 0;                            // port the app listens on inside the container (bridge network and swarm)
  std::vector<std::string> placement;      // swarm: the service's placement constraints
  bool proxied = true;                     // false: a worker, not behind HAProxy
  std::string backend;                     // HAProxy backend; defaults to [deploy] backend
  // The backend's two colours of server slots. With replicas = 1 the servers are named exactly
  // so; with replicas = N each colour has N (or more) servers named <colour><i> (i from 1), as
  // `server-template blue N ...` creates them (a server named exactly <colour> also counts).
  std::vector<std::string> slots = {"blue", "green"};
  int replicas = 1;     // instances per release
  int min_healthy = 0;  // new instances that must pass the health gate; 0: all `replicas`
  std::string health_path = std::string(kDefaultHealthPath);  // empty: none (workers only)
  Millis health_interval = kDefaultHealthInterval;
  Millis health_timeout = kDefaultHealthTimeout;
  int healthy_threshold = kDefaultHealthyThreshold;
  Millis deploy_timeout = kDefaultDeployTimeout;
  Millis drain_timeout = kDefaultDrainTimeout;
  Millis stop_timeout = kDefaultStopTimeout;
  Millis min_running = kDefaultWorkerMinRunning;
};

struct DeployConfig {
  RuntimeKind runtime = RuntimeKind::Docker;
  std::string docker_socket = std::string(kDefaultDockerSocket);
  std::string haproxy_socket = std::string(kDefaultHaproxySocket);
  std::string backend = std::string(kDefaultBackend);
  std::string database_url_env = std::string(kDefaultDatabaseUrlEnv);
  std::string state_dir;  // absolute after parsing
  std::string network = std::string(kDefaultNetwork);
  std::string host = std::string(kDefaultHost);
  std::vector<ServiceConfig> services;  // in the order pgstage.toml lists them
};

// Parses "250ms", "30s", "2m" or a bare integer (seconds). Returns false on anything else.
bool parse_duration(const std::string& text, Millis& out);

// Replaces every "{release}" in `s`.
std::string expand_release(std::string s, const std::string& release);

}  // namespace pgstage::deploy
