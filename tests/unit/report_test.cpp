// The lint driver's contracts: statements after a syntax error are still linted, the JSON report's
// finding fields, fingerprint stability, and the exit codes of the built binary.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/report.h"
#include "rules/registry.h"
#include "tests/support/cli_run.h"
#include "tests/support/lint_helpers.h"

namespace unit_report_test {

using namespace pgstage;
namespace fs = std::filesystem;

namespace {

const char* kHistory = "CREATE TABLE users (id bigint PRIMARY KEY, name text, email text);\n-- pgstage:history-end\n";

// The pgstage binary; its exit code and stdout.
pgstage::proc::Result run_binary(const std::vector<std::string>& args) { return pgstage::test::run_pgstage(args); }

struct TempFile {
  fs::path path;
  explicit TempFile(const std::string& text) {
    path = fs::temp_directory_path() /
           ("pgstage-report-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++) + ".sql");
    std::ofstream(path) << text;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

}  // namespace

// These tests pin exact findings; missing-lock-timeout (once per file) is tested on its own.
LintOptions without_lock_timeout_rule() {
  LintOptions o;
  o.disable.insert("missing-lock-timeout");
  return o;
}

TEST_CASE("a syntax error in statement 2 still reports statement 3") {
  auto r = test::lint_text(std::string(kHistory) +
                               "ALTER TABLE users ADD COLUMN nickname text;\n"
                               "ALTER TABLE users ADD COLUMN;\n"
                               "ALTER TABLE users DROP COLUMN name;\n",
                           without_lock_timeout_rule());
  auto ids = test::rule_ids(r);
  CHECK(ids == std::vector<std::string>{"syntax-error", "dropping-column"});
  auto se = test::findings_of(r, "syntax-error");
  REQUIRE(se.size() == 1);
  CHECK(se[0].start.line == 2);
  CHECK(test::findings_of(r, "dropping-column")[0].start.line == 3);
  REQUIRE(r.files.size() == 1);
  CHECK(r.files[0].syntax_errors == 1);
  CHECK(r.files[0].statements == 3);
}

TEST_CASE("JSON report: every contract field of a finding") {
  auto r = test::lint_text(std::string(kHistory) + "\n  ALTER TABLE users\n    RENAME COLUMN name TO full_name;\n",
                           without_lock_timeout_rule());
  auto doc = nlohmann::json::parse(cli::render_json(r, cli::ReportOptions{}));
  CHECK(doc["version"] == 1);
  CHECK(doc["pg_version"] == 15);
  CHECK(doc["tool"]["name"] == "pgstage");
  CHECK(doc["files"].is_array());
  CHECK(doc["statements"].size() == 1);
  REQUIRE(doc["findings"].size() == 1);
  auto& f = doc["findings"][0];
  CHECK(f["rule"] == "renaming-column");
  CHECK(f["category"] == "compat");
  CHECK(f["severity"] == "error");
  CHECK(f["file"] == "test.sql");
  CHECK(f["line"] == 2);
  CHECK(f["column"] == 3);
  CHECK(f["end_line"] == 3);
  CHECK(f["end_column"] == 36);
  CHECK(f["message"].get<std::string>().find("`users.name`") != std::string::npos);
  CHECK(f["message"].get<std::string>().find("ACCESS EXCLUSIVE") != std::string::npos);
  CHECK(f["help"].get<std::string>().find("\"users\"") != std::string::npos);
  CHECK(f["lock"]["mode"] == "ACCESS EXCLUSIVE");
  CHECK(f["lock"]["tables"] == nlohmann::json::array({"users"}));
  CHECK(f["lock"]["blocks_reads"] == true);
  CHECK(f["lock"]["blocks_writes"] == true);
  CHECK(f["rewrite"] == false);
  CHECK(f["scan"] == false);
  CHECK(f["plannable"] == true);
  CHECK(f["fingerprint"].get<std::string>().size() == 16);
  CHECK(doc["summary"]["errors"] == 1);
  CHECK(doc["summary"]["failed"] == true);
}

TEST_CASE("fingerprints are stable across unrelated edits and differ between findings") {
  auto fp = [](const std::string& review) {
    auto r = test::lint_text(std::string(kHistory) + review, without_lock_timeout_rule());
    std::vector<std::string> out;
    for (auto& f : r.findings) out.push_back(f.rule + ":" + f.fingerprint);
    return out;
  };
  auto base = fp("ALTER TABLE users DROP COLUMN name;\nALTER TABLE users DROP COLUMN email;\n");
  REQUIRE(base.size() == 2);
  CHECK(base[0] != base[1]);
  // Unrelated statements and comments before it, and reformatting, keep the fingerprints.
  auto edited =
      fp("-- cleanup\nALTER TABLE users ADD COLUMN nickname text;\n\n"
         "ALTER TABLE users\n  DROP COLUMN name;\nALTER TABLE users DROP COLUMN email;\n");
  CHECK(edited == base);
  auto changed = fp("ALTER TABLE users DROP COLUMN email;\n");
  REQUIRE(changed.size() == 1);
  CHECK(changed[0] == base[1]);
}

TEST_CASE("fingerprint values: the one-pass hash is the documented definition, and pinned") {
  const char* texts[] = {"",
                         " ",
                         "ALTER TABLE users DROP COLUMN name",
                         "  ALTER\tTABLE\n\n users  DROP   COLUMN x  ",
                         "SELECT 'A  B'",
                         "CREATE TABLE \"Mixed\" (Id INT)\r\n",
                         "<end of file>",
                         "\xC3\xA9T\xC3\xA9"};
  for (const char* t : texts)
    for (int n : {0, 1, 12}) {
      CAPTURE(t);
      CHECK(finding_fingerprint("dropping-column", "db/001.sql", t, n) ==
            fingerprint_of("dropping-column", "db/001.sql", fingerprint_text(t), n));
    }
  CHECK(fingerprint_text("  ALTER\tTABLE\n users  ") == "alter table users");
  // Users keep fingerprints (code scanning, baselines): a change of these values is a breaking change.
  CHECK(finding_fingerprint("dropping-column", "db/001.sql", "ALTER TABLE users\n  DROP COLUMN name", 0) ==
        "d9d13809543215a3");
}

TEST_CASE("exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or unreadable input") {
  TempFile clean("CREATE TABLE t (id bigint PRIMARY KEY);\nCREATE INDEX t_idx ON t (id);\n");
  TempFile bad("ALTER TABLE users DROP COLUMN name;\n");
  TempFile warn("DROP INDEX users_name_idx;\n");
  CHECK(run_binary({"lint", "--no-history", clean.path.string()}).exit_code == 0);
  CHECK(run_binary({"lint", "--no-history", bad.path.string()}).exit_code == 1);
  CHECK(run_binary({"lint", "--no-history", warn.path.string()}).exit_code == 0);
  CHECK(run_binary({"lint", "--no-history", "--fail-on", "warning", warn.path.string()}).exit_code == 1);
  CHECK(run_binary({"lint", "/nonexistent/pgstage-missing.sql"}).exit_code == 2);
  CHECK(run_binary({"lint", "--fail-on", "sometimes", clean.path.string()}).exit_code == 2);
  CHECK(run_binary({"lint", "--no-such-flag", clean.path.string()}).exit_code == 2);
  auto json =
      run_binary({"lint", "--no-history", "--disable", "missing-lock-timeout", "--format", "json", bad.path.string()});
  CHECK(json.exit_code == 1);
  auto doc = nlohmann::json::parse(json.out);
  REQUIRE(doc["findings"].size() == 1);
  CHECK(doc["findings"][0]["rule"] == "dropping-column");
}

TEST_CASE("samples/migrations: findings per file") {
  auto r = run_binary({"lint", "--format", "json", std::string(PGSTAGE_SOURCE_DIR) + "/samples/migrations"});
  CHECK(r.exit_code == 1);
  auto doc = nlohmann::json::parse(r.out);
  std::map<std::string, std::vector<std::string>> by_file;
  for (auto& f : doc["findings"]) {
    std::string file = fs::path(f["file"].get<std::string>()).filename().string();
    if (f["rule"] == "missing-lock-timeout") continue;  // every statement of the samples lacks one
    by_file[file].push_back(f["rule"].get<std::string>() + ":" + f["severity"].get<std::string>());
  }
  CHECK(by_file["001_create_users.sql"].empty());
  CHECK(by_file["002_safe_additions.sql"] == std::vector<std::string>{"changing-column-type:hint"});
  CHECK(by_file["003_rename_name.sql"] == std::vector<std::string>{"renaming-column:error"});
  CHECK(by_file["004_unsafe.sql"] ==
        std::vector<std::string>{"adding-required-column:error", "changing-column-type:error", "setting-not-null:error",
                                 "create-index-non-concurrent:error", "adding-check-constraint:error",
                                 "adding-column-volatile-default:error", "dropping-column:error"});
}

// `lint --format json` streams (JsonStream as the run's sink); the document must be the one
// write_json() renders from a kept result, whether it spills to a temporary file or, when none
// can be made, to memory.
TEST_CASE("streamed JSON report: byte for byte the kept report (pretty and compact), with counts and exit state") {
  std::vector<LintInput> inputs = {
      {"a.sql", true, std::string(kHistory) + "ALTER TABLE users RENAME COLUMN name TO full_name;\n"},
      {"b.sql", true, "ALTER TABLE users ADD COLUMN x int NOT NULL;\nSELECT 1;\nALTER TABLE users ADD COLUMN;\n"},
      {"c.sql", true, "-- only a comment\n"},
      {"d.sql", true, "CREATE INDEX users_email ON users (email);\n-- pgstage:ignore no-such-rule\nSELECT 2;\n"}};
  LintOptions kept_opts;
  kept_opts.jobs = 1;
  LintResult kept = run_lint(inputs, rules::all(), kept_opts);
  REQUIRE(kept.findings.size() >= 4);
  cli::ReportOptions pretty;
  pretty.fail_on = Severity::Warning;
  std::string pretty_text = cli::render_json(kept, pretty);
  // Compact is the same document without whitespace (what nlohmann's dump() writes).
  cli::ReportOptions compact = pretty;
  compact.json_indent = -1;
  std::string compact_text = cli::render_json(kept, compact);
  CHECK(compact_text == nlohmann::ordered_json::parse(pretty_text).dump() + "\n");
  CHECK(pretty_text == nlohmann::ordered_json::parse(compact_text).dump(2) + "\n");

  // Not a structured binding: clang 14 (the sanitizer tree) cannot capture one in CAPTURE's lambda.
  for (auto entry : {std::pair{"", pretty}, {"/nonexistent-pgstage-tmp", pretty}, {"", compact}}) {
    const char* tmpdir = entry.first;
    auto ro = entry.second;
    CAPTURE(tmpdir);
    CAPTURE(ro.json_indent);
    const std::string& expected = ro.json_indent < 0 ? compact_text : pretty_text;
    std::string saved = getenv("TMPDIR") ? getenv("TMPDIR") : "";
    if (*tmpdir) setenv("TMPDIR", tmpdir, 1);
    cli::JsonStream stream(ro.json_indent);
    LintOptions opts;
    opts.jobs = 2;
    opts.sink = &stream;
    LintResult r = run_lint(inputs, rules::all(), opts);
    if (saved.empty())
      unsetenv("TMPDIR");
    else
      setenv("TMPDIR", saved.c_str(), 1);
    CHECK(r.findings.empty());
    CHECK(r.statements.empty());
    CHECK(r.finding_count() == kept.findings.size());
    CHECK(r.statement_count() == kept.statements.size());
    CHECK(r.count(Severity::Error) == kept.count(Severity::Error));
    CHECK(r.fails(Severity::Warning) == kept.fails(Severity::Warning));
    std::ostringstream out;
    std::string err;
    REQUIRE(stream.finish(r, ro, out, err));
    CHECK(err.empty());
    CHECK(out.str() == expected);
  }
}

}  // namespace unit_report_test
