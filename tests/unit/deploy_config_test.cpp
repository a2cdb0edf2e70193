#include <doctest/doctest.h>

#include "cli/config.h"
#include "deploy/deploy_config.h"
#include "deploy/log_tail.h"

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
  CHECK(err == "/srv/app/pgstage.toml:2:11: `deploy.runtime` must be one of \"docker\", \"process\" (got \"k8s\")");
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
