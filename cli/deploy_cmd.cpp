// `pgstage deploy --release NAME`: the container swap alone (no migrations).
#include <iostream>

#include "cli/commands.h"
#include "cli/deploy_run.h"

namespace pgstage::cli {

void add_deploy_command(CLI::App& app, int& exit_code) {
  auto run = std::make_shared<DeployRun>();
  CLI::App* cmd = app.add_subcommand(
      "deploy", "Swap the application to a release: start, health-check, switch HAProxy, drain, stop the old");
  cmd->add_option("--release", run->release, "Release name ({release} in image, command and env)")->required();
  cmd->add_option("--config", run->config_path, "pgstage.toml (default: nearest one walking up)");
  cmd->add_option("--verify-load", run->verify_load_url,
                  "Send GET traffic to URL during the deploy and report requests served and errors");
  cmd->callback([run, &exit_code] { exit_code = run_deploy(*run, std::cout, std::cerr); });
}

}  // namespace pgstage::cli
