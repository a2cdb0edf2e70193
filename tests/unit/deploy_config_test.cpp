#include <doctest/doctest.h>

#include "cli/config.h"
#include "deploy/deploy_config.h"
#include "deploy/log_tail.h"

namespace unit_deploy_config_test {

using namespace pgstage::deploy;

namespace {
// [deploy] and [services.NAME] through the project configuration's one loader.
bool parse(const std::string& text, DeployConfig& cfg, std::string& err) {
  pgstage::cli::Config c;
  bool ok = pgstage::cli::parse_config(text, "/srv/app/pgstage.toml", c, err);
  cfg = c.deploy;
  return ok;
}
}  // namespace

TEST_CASE("deploy config: defaults come from deploy_defaults.h") {
  DeployConfig cfg;
  std::string err;
  REQUIRE_MESSAGE(parse("[services.web]\nimage = \"app:{release}\"\n", cfg, err), err);
  CHECK(cfg.runtime == RuntimeKind::Docker);
  CHECK(cfg.docker_socket == kDefaultDockerSocket);
  CHECK(cfg.state_dir == "/srv/app/.pgstage");
  REQUIRE(cfg.services.size() == 1);
  const ServiceConfig& s = cfg.services[0];
  CHECK(s.proxied);
  CHECK(s.backend == "app");
  CHECK(s.health_path == "/healthz");
  CHECK(s.deploy_timeout == kDefaultDeployTimeout);
  CHECK(s.drain_timeout == kDefaultDrainTimeout);
  CHECK(s.stop_timeout == kDefaultStopTimeout);
  CHECK(expand_release(s.image, "v2") == "app:v2");
}

TEST_CASE("deploy config: services keep file order, durations parse") {
  DeployConfig cfg;
  std::string err;
  REQUIRE_MESSAGE(parse("[deploy]\nruntime = \"process\"\n"
                        "[services.zeta]\ncommand = \"z\"\ndrain_timeout = \"2s\"\nhealth_interval = \"250ms\"\n"
                        "[services.alpha]\ncommand = \"a\"\nproxied = false\ndeploy_timeout = 90\n",
                        cfg, err),
                  err);
  REQUIRE(cfg.services.size() == 2);
  CHECK(cfg.services[0].name == "zeta");
  CHECK(cfg.services[0].drain_timeout == Millis(2000));
  CHECK(cfg.services[0].health_interval == Millis(250));
  CHECK(cfg.services[1].name == "alpha");
  CHECK(cfg.services[1].deploy_timeout == Millis(90000));
}

TEST_CASE("deploy config: errors name the file, line, column and key") {
  DeployConfig cfg;
  std::string err;
  CHECK_FALSE(parse("[services.web]\nimage = \"x\"\ndrain_timeout = \"soon\"\n", cfg, err));
  CHECK(err ==
        "/srv/app/pgstage.toml:3:17: `services.web.drain_timeout` must be a positive duration: seconds (e.g. 2 "
        "or 0.5) or a string like \"500ms\", \"30s\", \"2m\"");
  CHECK_FALSE(parse("[deploy]\nruntime = \"k8s\"\n", cfg, err));
  CHECK(err ==
        "/srv/app/pgstage.toml:2:11: `deploy.runtime` must be one of \"docker\", \"process\", \"swarm\" (got \"k8s\")");
  CHECK_FALSE(parse("[deploy]\ndatabase_url_env = \"postgres://u:secret@h/db\"\n", cfg, err));
  CHECK(err.find("/srv/app/pgstage.toml:2:20: `deploy.database_url_env` must be the name of an environment variable") ==
        0);
  CHECK(err.find("not a URL") != std::string::npos);
  CHECK(err.find("secret") == std::string::npos);
  CHECK_FALSE(parse("[services.web]\nimage = \"x\"\nhealth_pth = \"/up\"\n", cfg, err));
  CHECK(err.rfind(
            "/srv/app/pgstage.toml:3:1: unknown key `health_pth` in [services.web] (known: image, command, workdir,",
            0) == 0);
  CHECK_FALSE(parse("[deploy]\nruntime = \"process\"\n[services.web]\nimage = \"x\"\n", cfg, err));
  CHECK(err == "/srv/app/pgstage.toml:3:1: [services.web] needs `command` with [deploy] runtime \"process\"");
  CHECK_FALSE(parse("[services.web]\nimage = \"x\"\nslots = [\"a\"]\n", cfg, err));
  CHECK(err.find("`services.web.slots` must be two different server names") != std::string::npos);
}

TEST_CASE("durations and log tails") {
  Millis d{};
  CHECK(parse_duration("30s", d));
  CHECK(d == Millis(30000));
  CHECK(parse_duration("2m", d));
  CHECK(d == Millis(120000));
  CHECK_FALSE(parse_duration("1h", d));
  CHECK_FALSE(parse_duration("-1s", d));
  CHECK(last_lines("a\nb\nc\n", 2) == "b\nc");
  CHECK(last_lines("a\nb\nc", 5) == "a\nb\nc");
  CHECK(last_lines("", 3) == "");
}

TEST_CASE("deploy config: replicas and min_healthy") {
  DeployConfig cfg;
  std::string err;
  REQUIRE_MESSAGE(parse("[services.web]\nimage = \"x\"\n", cfg, err), err);
  CHECK(cfg.services[0].replicas == 1);
  CHECK(cfg.services[0].min_healthy == 0);  // all replicas
  REQUIRE_MESSAGE(parse("[services.web]\nimage = \"x\"\nreplicas = 3\nmin_healthy = 2\n", cfg, err), err);
  CHECK(cfg.services[0].replicas == 3);
  CHECK(cfg.services[0].min_healthy == 2);
  CHECK_FALSE(parse("[services.web]\nimage = \"x\"\nreplicas = 0\n", cfg, err));
  CHECK(err == "/srv/app/pgstage.toml:3:12: `services.web.replicas` must be an integer from 1 to 100");
  CHECK_FALSE(parse("[services.web]\nimage = \"x\"\nreplicas = \"3\"\n", cfg, err));
  CHECK(err.find("`services.web.replicas` must be an integer") != std::string::npos);
  CHECK_FALSE(parse("[services.web]\nimage = \"x\"\nreplicas = 2\nmin_healthy = 3\n", cfg, err));
  CHECK(err == "/srv/app/pgstage.toml:1:1: [services.web] min_healthy (3) is more than replicas (2)");
  CHECK_FALSE(parse("[services.web]\nimage = \"x\"\nmin_healthy = 2\n", cfg, err));
  CHECK(err.find("min_healthy (2) is more than replicas (1)") != std::string::npos);
}

TEST_CASE("deploy config: runtime swarm") {
  DeployConfig cfg;
  std::string err;
  REQUIRE_MESSAGE(parse("[deploy]\nruntime = \"swarm\"\n[services.web]\nimage = \"app:{release}\"\nport = 8080\n"
                        "replicas = 3\nplacement = [\"node.role==worker\", \"node.labels.zone==a\"]\n"
                        "[services.worker]\nimage = \"app:{release}\"\nproxied = false\n",
                        cfg, err),
                  err);
  CHECK(cfg.runtime == RuntimeKind::Swarm);
  CHECK(cfg.services[0].placement == std::vector<std::string>{"node.role==worker", "node.labels.zone==a"});
  CHECK(cfg.services[0].replicas == 3);
  CHECK_FALSE(parse("[deploy]\nruntime = \"swarm\"\n[services.web]\nimage = \"x\"\n", cfg, err));
  CHECK(err.find("[services.web] needs `port` (the port the app listens on in its container, published in host "
                 "mode on each task's node) with [deploy] runtime \"swarm\"") != std::string::npos);
  CHECK_FALSE(parse("[deploy]\nruntime = \"swarm\"\n[services.web]\ncommand = \"x\"\nport = 1\n", cfg, err));
  CHECK(err.find("needs `image` with [deploy] runtime \"swarm\"") != std::string::npos);
  CHECK_FALSE(parse("[services.web]\nimage = \"x\"\nplacement = [\"node.role==worker\"]\n", cfg, err));
  CHECK(err.find("`placement` applies only with [deploy] runtime \"swarm\"") != std::string::npos);
  CHECK_FALSE(
      parse("[deploy]\nruntime = \"swarm\"\n[services.web]\nimage = \"x\"\nport = 1\nplacement = \"a\"\n", cfg, err));
  CHECK(err.find("`services.web.placement` must be an array of strings") != std::string::npos);
}

}  // namespace unit_deploy_config_test
