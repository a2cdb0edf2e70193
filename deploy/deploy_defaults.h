// Every default of the deployer, in one place. Durations are std::chrono::milliseconds.
#pragma once

#include <chrono>
#include <string_view>

namespace pgstage::deploy {

using Millis = std::chrono::milliseconds;
using namespace std::chrono_literals;

// [deploy]
inline constexpr std::string_view kDefaultRuntime = "docker";
inline constexpr std::string_view kDefaultDockerSocket = "/var/run/docker.sock";
inline constexpr std::string_view kDefaultHaproxySocket = "/run/haproxy/admin.sock";
inline constexpr std::string_view kDefaultBackend = "app";
inline constexpr std::string_view kDefaultDatabaseUrlEnv = "DATABASE_URL";
inline constexpr std::string_view kDefaultStateDir = ".pgstage";  // relative to pgstage.toml
inline constexpr std::string_view kDefaultNetwork = "host";       // docker: "host" or "bridge"
inline constexpr std::string_view kDefaultHost = "127.0.0.1";     // where instances listen

// [services.NAME]
inline constexpr std::string_view kDefaultHealthPath = "/healthz";
inline constexpr Millis kDefaultHealthInterval = 1s;
inline constexpr Millis kDefaultHealthTimeout = 5s;     // one probe
inline constexpr int kDefaultHealthyThreshold = 2;      // consecutive 2xx probes
inline constexpr Millis kDefaultDeployTimeout = 60s;    // start_new + wait_healthy
inline constexpr Millis kDefaultDrainTimeout = 30s;     // drain_old: connections to reach zero
inline constexpr Millis kDefaultStopTimeout = 10s;      // SIGTERM -> SIGKILL
inline constexpr Millis kDefaultWorkerMinRunning = 5s;  // a worker without health path is
                                                        // healthy once it ran this long

// Internal bounds.
inline constexpr Millis kRouterCommandTimeout = 5s;  // one HAProxy runtime API command
inline constexpr Millis kDrainPollInterval = 100ms;
inline constexpr Millis kRuntimeRequestTimeout = 30s;  // one Docker API request (pulls excluded)
inline constexpr int kFailureLogLines = 20;            // log lines shown when a deploy fails

// Labels put on every container pgstage creates; pgstage only ever touches containers with them.
inline constexpr std::string_view kLabelManaged = "io.pgstage.managed";
inline constexpr std::string_view kLabelService = "io.pgstage.service";
inline constexpr std::string_view kLabelRelease = "io.pgstage.release";
inline constexpr std::string_view kLabelPort = "io.pgstage.port";

}  // namespace pgstage::deploy
