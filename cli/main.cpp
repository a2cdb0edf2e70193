#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"pgstage: safe Postgres schema changes while the application keeps serving"};
  app.set_version_flag("--version", std::string("pgstage ") + PGSTAGE_VERSION);
  app.require_subcommand(1);
  int exit_code = pgstage::cli::kExitOk;
  pgstage::cli::add_lint_command(app, exit_code);
  pgstage::cli::add_rules_commands(app, exit_code);
  pgstage::cli::add_plan_command(app, exit_code);
  pgstage::cli::add_apply_commands(app, exit_code);
  pgstage::cli::add_deploy_command(app, exit_code);
  pgstage::cli::add_rollback_command(app, exit_code);
  pgstage::cli::add_trace_command(app, exit_code);
  pgstage::cli::add_snapshot_command(app, exit_code);
  pgstage::cli::add_baseline_command(app, exit_code);
  pgstage::cli::add_check_queries_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return pgstage::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "pgstage: error: " << e.what() << "\n";
    return pgstage::cli::kExitUsage;
  }
  return exit_code;
}
