// `pgstage deploy --release NAME`: the container swap alone (no migrations). With the database URL
// ([deploy] database_url_env) it refuses an earlier release a contract since removed something
// from, and records the release as serving, like rollback.
#include <iostream>

#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/deploy_run.h"

namespace pgstage::cli {

void add_deploy_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<DeployFlags>();
  CLI::App* cmd = app.add_subcommand(
      "deploy", "Swap the application to a release: start, health-check, switch HAProxy, drain, stop the old");
  cmd->add_option("--release", f->release, "Release name ({release} in image, command and env)")->required();
  cmd->add_option("--verify-load", f->verify_load,
                  "Send GET traffic to URL during the deploy and report requests served and errors (default: [deploy] "
                  "verify_load)");
  add_config_flags(*cmd, f->config);
  cmd->callback([f, &exit_code] {
    DeployRun run;
    if (!configure("deploy", f->config,
                   [&](const Config& c, std::string& e) { return resolve_deploy(*f, c, run, e); })) {
      exit_code = kExitUsage;
      return;
    }
    guard_release(run, "deploy");
    exit_code = run_deploy(run, std::cout, std::cerr);
  });
}

}  // namespace pgstage::cli
