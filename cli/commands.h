// The subcommands of `pgstage`. Each registers itself on the CLI11 app and sets `exit_code`
// when it runs. Exit codes: 0 success, 1 findings at/above --fail-on (lint) or a failed operation
// that was rolled back, 2 usage, configuration or unreadable input.
#pragma once

#include <CLI/CLI.hpp>

namespace pgstage::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
// apply/deploy/rollback: every service swapped and the release recorded, but --verify-load saw
// failed requests during the swap.
inline constexpr int kExitDeployedWithErrors = 3;

void add_lint_command(CLI::App& app, int& exit_code);
void add_rules_commands(CLI::App& app, int& exit_code);  // `rules` and `explain`
void add_plan_command(CLI::App& app, int& exit_code);
void add_apply_commands(CLI::App& app, int& exit_code);  // `apply`, `mark-deployed`, `status`
void add_deploy_command(CLI::App& app, int& exit_code);
void add_rollback_command(CLI::App& app, int& exit_code);
void add_trace_command(CLI::App& app, int& exit_code);
void add_snapshot_command(CLI::App& app, int& exit_code);
void add_baseline_command(CLI::App& app, int& exit_code);
void add_check_queries_command(CLI::App& app, int& exit_code);

}  // namespace pgstage::cli
