// The CI report formats: SARIF 2.1.0, GitHub workflow commands, GitLab Code Quality.
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>
#include <set>

#include "cli/report.h"
#include "rules/registry.h"
#include "tests/support/cli_run.h"
#include "tests/support/lint_helpers.h"

namespace unit_report_formats_test {

using namespace pgstage;
using nlohmann::json;

namespace {

// Two findings (an unused ignore and a required column), with only the rules they need.
LintResult unsafe_result() {
  std::vector<const Rule*> only{rules::find("adding-required-column"), rules::find("syntax-error")};
  if (const Rule* u = rules::find("unused-ignore")) only.push_back(u);
  std::vector<LintInput> in{
      {"history.sql", true, "CREATE TABLE users (id bigint PRIMARY KEY);\n", true},
      {"db/migrations/002 add email.sql", true,
       "SELECT 1;\n-- pgstage:ignore syntax-error\nALTER TABLE users\n  ADD COLUMN email text NOT NULL;\n", false}};
  return run_lint(in, only, {});
}

// A finding with characters that workflow commands must escape.
LintResult tricky_result() {
  LintResult r;
  Finding f;
  f.rule = "adding-required-column";
  f.severity = Severity::Warning;
  f.file = "db/a,b:c.sql";
  f.start = {3, 5};
  f.stop = {4, 9};
  f.message = "100% broken,\r\nreally: yes";
  f.fingerprint = "abc";
  r.findings.push_back(f);
  return r;
}

}  // namespace

TEST_CASE("SARIF has the fields the 2.1.0 schema requires") {
  LintResult r = unsafe_result();
  REQUIRE(r.findings.size() == 2);
  json doc = json::parse(cli::render_sarif(r, {}));
  CHECK(doc["version"] == "2.1.0");
  CHECK(doc["$schema"].get<std::string>().find("sarif-2.1.0") != std::string::npos);
  REQUIRE(doc["runs"].is_array());
  REQUIRE(doc["runs"].size() == 1);
  json run = doc["runs"][0];
  CHECK(run["tool"]["driver"]["name"] == "pgstage");
  json rules = run["tool"]["driver"]["rules"];
  REQUIRE(rules.size() >= rules::all().size());
  for (auto& rule : rules) {
    CHECK(rule["id"].is_string());
    CHECK(!rule["shortDescription"]["text"].get<std::string>().empty());
    CHECK(!rule["fullDescription"]["text"].get<std::string>().empty());
    CHECK(!rule["help"]["text"].get<std::string>().empty());
    CHECK(!rule.contains("helpUri"));
    std::string level = rule["defaultConfiguration"]["level"];
    CHECK((level == "error" || level == "warning" || level == "note"));
  }
  json results = run["results"];
  REQUIRE(results.size() == 2);
  for (auto& res : results) {
    std::string id = res["ruleId"];
    REQUIRE(res.contains("ruleIndex"));
    CHECK(rules[res["ruleIndex"].get<int>()]["id"] == id);
    CHECK(!res["message"]["text"].get<std::string>().empty());
    REQUIRE(res["locations"].size() == 1);
    json loc = res["locations"][0]["physicalLocation"];
    CHECK(loc["artifactLocation"]["uri"] == "db/migrations/002%20add%20email.sql");
    CHECK(loc["region"]["startLine"].get<int>() >= 1);
    CHECK(loc["region"]["startColumn"].get<int>() >= 1);
    CHECK(res["partialFingerprints"]["pgstage/v1"].get<std::string>().size() == 16);
  }
  json unused = results[0], required = results[1];
  CHECK(unused["ruleId"] == "unused-ignore");
  CHECK(unused["level"] == "warning");
  CHECK(unused["locations"][0]["physicalLocation"]["region"]["startLine"] == 2);
  CHECK(required["ruleId"] == "adding-required-column");
  CHECK(required["level"] == "error");
  json region = required["locations"][0]["physicalLocation"]["region"];
  const Finding& f = r.findings[1];
  CHECK(f.start.line == 4);  // the ADD COLUMN subcommand
  CHECK(region["startLine"] == f.start.line);
  CHECK(region["startColumn"] == f.start.column);
  CHECK(region["endLine"] == f.stop.line);
  CHECK(region["endColumn"] == f.stop.column);
  CHECK(f.stop.column > f.start.column);
}

TEST_CASE("SARIF maps hints to note and makes absolute paths file URIs") {
  LintResult r = tricky_result();
  r.findings[0].severity = Severity::Hint;
  r.findings[0].file = "/srv/app/db/1.sql";
  json res = json::parse(cli::render_sarif(r, {}))["runs"][0]["results"][0];
  CHECK(res["level"] == "note");
  CHECK(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "file:///srv/app/db/1.sql");
  CHECK(!res["locations"][0]["physicalLocation"]["artifactLocation"].contains("uriBaseId"));
}

TEST_CASE("GitHub workflow commands carry the position and escape properties and data") {
  std::string out = cli::render_github(tricky_result(), {});
  CHECK(out.rfind("::warning file=db/a%2Cb%3Ac.sql,line=3,col=5,endLine=4,endColumn=9,title=adding-required-column::"
                  "100%25 broken,%0D%0Areally: yes\n",
                  0) == 0);
  LintResult r = unsafe_result();
  std::string real = cli::render_github(r, {});
  const Finding& f = r.findings[1];
  CHECK(real.find("::error file=db/migrations/002 add email.sql,line=4,col=" + std::to_string(f.start.column) +
                  ",endLine=4,endColumn=" + std::to_string(f.stop.column) + ",title=adding-required-column::") !=
        std::string::npos);
  CHECK(real.find("::warning file=db/migrations/002 add email.sql,line=2,col=1,") != std::string::npos);
  // One line per finding plus the summary: no raw newline inside a command.
  CHECK(std::count(real.begin(), real.end(), '\n') == 3);
}

TEST_CASE("GitHub hints are notices") {
  LintResult r = tricky_result();
  r.findings[0].severity = Severity::Hint;
  CHECK(cli::render_github(r, {}).rfind("::notice ", 0) == 0);
}

TEST_CASE("GitLab Code Quality report") {
  LintResult r = unsafe_result();
  json doc = json::parse(cli::render_gitlab(r, {}));
  REQUIRE(doc.is_array());
  REQUIRE(doc.size() == 2);
  std::set<std::string> fingerprints;
  for (auto& issue : doc) {
    CHECK(!issue["description"].get<std::string>().empty());
    CHECK(!issue["check_name"].get<std::string>().empty());
    fingerprints.insert(issue["fingerprint"].get<std::string>());
    std::string sev = issue["severity"];
    CHECK((sev == "info" || sev == "minor" || sev == "major" || sev == "critical" || sev == "blocker"));
    CHECK(issue["location"]["path"] == "db/migrations/002 add email.sql");
    CHECK(issue["location"]["lines"]["begin"].get<int>() >= 1);
  }
  CHECK(fingerprints.size() == 2);
  CHECK(doc[0]["check_name"] == "unused-ignore");
  CHECK(doc[0]["severity"] == "major");
  CHECK(doc[1]["check_name"] == "adding-required-column");
  CHECK(doc[1]["severity"] == "critical");
  CHECK(doc[1]["location"]["lines"]["begin"] == 4);
  CHECK(json::parse(cli::render_gitlab(LintResult{}, {})) == json::array());
}

TEST_CASE("lint --format sarif|github|gitlab from the command line") {
  test::TempDir d;
  d.write("m/001.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n");
  d.write("m/002.sql", "ALTER TABLE users ADD COLUMN email text NOT NULL;\n");
  // Only the required-column finding: the other rules are off.
  std::vector<std::string> off;
  for (const Rule* r : rules::all())
    if (r->id != "adding-required-column") off.insert(off.end(), {"--disable", std::string(r->id)});
  auto lint = [&](const char* format) {
    std::vector<std::string> args{"lint", "--no-config", "--format", format, "m"};
    args.insert(args.end(), off.begin(), off.end());
    return test::run_pgstage(args, d.path());
  };
  auto sarif = lint("sarif");
  CHECK(sarif.exit_code == 1);
  json doc = json::parse(sarif.out);
  REQUIRE(doc["runs"][0]["results"].size() == 1);
  CHECK(doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "m/002.sql");
  auto gh = lint("github");
  CHECK(gh.exit_code == 1);
  CHECK(gh.out.rfind("::error file=m/002.sql,line=1,col=30,endLine=1,endColumn=49,title=adding-required-column::", 0) ==
        0);
  auto gl = lint("gitlab");
  CHECK(gl.exit_code == 1);
  REQUIRE(json::parse(gl.out).size() == 1);
  CHECK(json::parse(gl.out)[0]["location"]["path"] == "m/002.sql");
}

}  // namespace unit_report_formats_test
