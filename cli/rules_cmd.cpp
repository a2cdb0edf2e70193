#include <iostream>

#include "cli/commands.h"
#include "cli/report.h"
#include "planner/recipe.h"
#include "rules/registry.h"

namespace pgstage::cli {

namespace {

std::string markdown() {
  std::string out =
      "# pgstage rules\n\nGenerated from the rule registry (`pgstage rules --format markdown`). Do not edit.\n\n"
      "Turn a rule off or change its severity in `pgstage.toml` (`disable = [\"id\"]`, or "
      "`[rules]` `id = \"warning\"`); silence one statement with `-- pgstage:ignore id -- reason` "
      "or a whole file with `-- pgstage:ignore-file id`.\n\n";
  out += "| id | category | default | summary |\n|---|---|---|---|\n";
  for (const Rule* r : rules::all())
    out += "| [`" + std::string(r->id) + "`](#" + std::string(r->id) + ") | " +
           std::string(category_name(r->category)) + " | " +
           (r->enabled_by_default ? std::string(severity_name(r->severity)) : "off") + " | " + std::string(r->summary) +
           " |\n";
  for (const Rule* r : rules::all()) {
    out += "\n## " + std::string(r->id) + "\n\n";
    out += "*" + std::string(category_name(r->category)) + ", " + std::string(severity_name(r->severity)) +
           (r->enabled_by_default ? "" : ", off by default") + "*. " + std::string(r->summary) + ".\n\n";
    out += "**Why.** " + std::string(r->why) + "\n\n";
    out += "**Lock.** " + std::string(r->lock) + "\n\n";
    out += "**Instead.** " + std::string(r->instead) + "\n\n";
    if (auto* rc = planner::find_recipe(r->id))
      out += "**Plan.** `pgstage plan` stages it: " + std::string(rc->summary) + ".\n\n";
    out += "Bad:\n\n```sql\n" + std::string(r->bad) + "\n```\n\nGood:\n\n```sql\n" + std::string(r->good) + "\n```\n";
  }
  return out;
}

std::string explain(const Rule& r) {
  std::string out = std::string(r.id) + " (" + std::string(category_name(r.category)) + ", " +
                    std::string(severity_name(r.severity)) + (r.enabled_by_default ? "" : ", off by default") + ")\n";
  out += std::string(r.summary) + "\n\nWhy:\n  " + std::string(r.why) + "\n\nLock:\n  " + std::string(r.lock) +
         "\n\nInstead:\n  " + std::string(r.instead) + "\n";
  if (auto* rc = planner::find_recipe(r.id))
    out += "\nPlan:\n  `pgstage plan` stages it: " + std::string(rc->summary) + "\n";
  out += "\nBad:\n" + std::string(r.bad) + "\n\nGood:\n" + std::string(r.good) + "\n";
  return out;
}

}  // namespace

void add_rules_commands(CLI::App& app, int& exit_code) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* rules_cmd = app.add_subcommand("rules", "List every rule: id, category, default severity, summary");
  rules_cmd->add_option("-f,--format", *format, "Output format")->check(CLI::IsMember({"text", "json", "markdown"}));
  rules_cmd->callback([format, &exit_code] {
    if (*format == "json") {
      nlohmann::json arr = nlohmann::json::array();
      for (const Rule* r : rules::all())
        arr.push_back({{"id", r->id},
                       {"category", category_name(r->category)},
                       {"severity", severity_name(r->severity)},
                       {"enabled_by_default", r->enabled_by_default},
                       {"summary", r->summary},
                       {"plannable", planner::find_recipe(r->id) != nullptr}});
      std::cout << arr.dump(2) << "\n";
    } else if (*format == "markdown") {
      std::cout << markdown();
    } else {
      for (const Rule* r : rules::all()) {
        std::string id(r->id);
        std::string cat(category_name(r->category));
        std::string sev = r->enabled_by_default ? std::string(severity_name(r->severity)) : "off";
        std::cout << id << std::string(id.size() < 34 ? 34 - id.size() : 1, ' ') << cat
                  << std::string(cat.size() < 13 ? 13 - cat.size() : 1, ' ') << sev
                  << std::string(sev.size() < 9 ? 9 - sev.size() : 1, ' ') << r->summary << "\n";
      }
    }
    exit_code = kExitOk;
  });

  auto rule_id = std::make_shared<std::string>();
  CLI::App* explain_cmd = app.add_subcommand("explain", "Print a rule's documentation");
  explain_cmd->add_option("rule", *rule_id, "Rule id")->required();
  explain_cmd->callback([rule_id, &exit_code] {
    const Rule* r = rules::find(*rule_id);
    if (!r) {
      std::cerr << "pgstage explain: unknown rule `" << *rule_id << "`; `pgstage rules` lists them\n";
      exit_code = kExitUsage;
      return;
    }
    std::cout << explain(*r);
    exit_code = kExitOk;
  });
}

}  // namespace pgstage::cli
