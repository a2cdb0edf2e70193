// `pgstage rollback [--to RELEASE]`: swap every service back to a release deployed earlier, from
// the image or command recorded for it in the deploy state, health-gated and drained as a deploy;
// no migration runs. Refused (exit 1, nothing changed) when a contract that ran since that
// release was deployed removed something it may use.
#include <cstdlib>
#include <iostream>

#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/deploy_run.h"
#include "deploy/deploy_state.h"

namespace pgstage::cli {
namespace {

int run_rollback(DeployRun run) {
  deploy::DeployState st;
  std::string err;
  if (!deploy::load_deploy_state(run.config.state_dir, st, err)) {
    std::cerr << "pgstage rollback: " << err << "\n";
    return kExitFailed;
  }
  const std::string current = st.releases.empty() ? "" : st.releases.back();
  if (run.release.empty()) {
    if (st.releases.size() < 2) {
      std::cerr << "pgstage rollback: no release deployed before " << (current.empty() ? "now" : current)
                << " is recorded in " << run.config.state_dir << "/deploy-state.json; nothing was changed\n";
      return kExitFailed;
    }
    run.release = st.releases[st.releases.size() - 2];
  }
  if (run.release == current) {
    std::cerr << "pgstage rollback: release " << current << " is the one serving; nothing was changed\n";
    return kExitFailed;
  }
  const std::string target = run.release;
  std::cout << "rollback from release " << (current.empty() ? "?" : current) << " to " << target
            << " (no migration runs)\n";
  run.from_state = true;
  guard_release(run, "rollback");
  return run_deploy(run, std::cout, std::cerr);
}

}  // namespace

void add_rollback_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<DeployFlags>();
  CLI::App* cmd = app.add_subcommand(
      "rollback",
      "Swap back to a release deployed earlier (health-gated, drained; no migration runs), unless a contract "
      "removed something it uses");
  cmd->add_option("--to", f->release, "The release to go back to (default: the one deployed before the current one)");
  cmd->add_option("--verify-load", f->verify_load,
                  "Send GET traffic to URL during the swap and report requests served and errors (default: [deploy] "
                  "verify_load)");
  add_config_flags(*cmd, f->config);
  cmd->callback([f, &exit_code] {
    DeployRun run;
    exit_code =
        configure("rollback", f->config, [&](const Config& c, std::string& e) { return resolve_deploy(*f, c, run, e); })
            ? run_rollback(run)
            : kExitUsage;
  });
}

}  // namespace pgstage::cli
