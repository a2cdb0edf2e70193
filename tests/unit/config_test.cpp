// pgstage.toml: loading, validation errors that name file/line/key, discovery, and flags overriding it.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "cli/config.h"
#include "tests/support/cli_run.h"
#include "tests/support/lint_helpers.h"

using namespace pgstage;
using namespace pgstage::cli;
using test::run_pgstage;
using test::TempDir;

namespace {

std::string parse_error(const std::string& text) {
  Config c;
  std::string err;
  bool ok = parse_config(text, "pgstage.toml", c, err);
  CHECK_MESSAGE(!ok, "expected an error for:\n" << text);
  return err;
}

}  // namespace

TEST_CASE("a full lint configuration loads") {
  Config c;
  std::string err;
  std::string text = R"(pg_version = 14
fail_on = "warning"
disable = ["syntax-error"]
transaction = "per-file"
runner = "pgstage"
migrations = "db/migrations"
layout = "golang-migrate"
exclude = ["*_seed.sql", "archive/**"]
large_tables = ["events", "public.orders"]
large_table_rows = 5e5

[rules]
adding-required-column = "warning"
)";
  REQUIRE_MESSAGE(parse_config(text, "conf/pgstage.toml", c, err), err);
  CHECK(c.path == "conf/pgstage.toml");
  CHECK(c.dir == "conf");
  CHECK(c.lint.pg_version == 14);
  CHECK(c.lint.fail_on == Severity::Warning);
  CHECK(c.lint.disable == std::vector<std::string>{"syntax-error"});
  CHECK(c.lint.transaction == "per-file");
  CHECK(c.lint.runner == "pgstage");
  CHECK(c.lint.migrations == "db/migrations");
  CHECK(c.lint.layout == "golang-migrate");
  CHECK(c.lint.exclude.size() == 2);
  CHECK(c.lint.large_tables == std::vector<std::string>{"events", "public.orders"});
  CHECK(c.lint.large_table_rows == doctest::Approx(5e5));
  CHECK(c.lint.severity.at("adding-required-column") == Severity::Warning);
}

TEST_CASE("an empty file is a valid configuration") {
  Config c;
  std::string err;
  CHECK(parse_config("", "pgstage.toml", c, err));
  CHECK(!c.lint.pg_version);
  CHECK(c.lint.disable.empty());
}

TEST_CASE("[rules] off and on map to disable and enable") {
  Config c;
  std::string err;
  REQUIRE(parse_config("[rules]\nadding-required-column = \"off\"\nsyntax-error = \"on\"\n", "p.toml", c, err));
  CHECK(c.lint.disable == std::vector<std::string>{"adding-required-column"});
  CHECK(c.lint.enable == std::vector<std::string>{"syntax-error"});
}

TEST_CASE("errors name the file, the line and the key") {
  CHECK(parse_error("pg_version = 15\nfrobnicate = 1\n").rfind("pgstage.toml:2:1: unknown key `frobnicate`", 0) == 0);
  CHECK(parse_error("disable = [\"renaming-colum\"]\n") ==
        "pgstage.toml:1:12: unknown rule `renaming-colum` in `disable` (see `pgstage rules`)");
  CHECK(parse_error("enable = \"syntax-error\"\n").find("pgstage.toml:1:10: `enable` must be an array of strings") == 0);
  CHECK(parse_error("\n[rules]\nno-such-rule = \"warning\"\n") ==
        "pgstage.toml:3:1: unknown rule `no-such-rule` in [rules] (see `pgstage rules`)");
  CHECK(parse_error("[rules]\nsyntax-error = \"loud\"\n").find("pgstage.toml:2:16: [rules] syntax-error must be") == 0);
  CHECK(parse_error("[rules]\nsyntax-error = 3\n").find("pgstage.toml:2:16:") == 0);
  CHECK(parse_error("pg_version = 99\n").find("pgstage.toml:1:14: `pg_version` must be an integer from 9 to 18") == 0);
  CHECK(parse_error("pg_version = \"15\"\n").find("`pg_version` must be an integer") != std::string::npos);
  CHECK(parse_error("fail_on = \"fatal\"\n").find("pgstage.toml:1:11: `fail_on` must be") == 0);
  CHECK(parse_error("transaction = \"sometimes\"\n").find("pgstage.toml:1:15: `transaction` must be one of") == 0);
  CHECK(parse_error("runner = 1\n").find("`runner` must be a string") != std::string::npos);
  CHECK(parse_error("layout = \"rails\"\n").find("unknown `layout` \"rails\"") != std::string::npos);
  CHECK(parse_error("exclude = [1]\n").find("pgstage.toml:1:12: `exclude` must be an array of strings") == 0);
  CHECK(parse_error("large_table_rows = -1\n").find("`large_table_rows` must be a non-negative number") !=
        std::string::npos);
  CHECK(parse_error("[nonsense]\nx = 1\n").find("pgstage.toml:1:2: unknown key `nonsense`") == 0);
  CHECK(parse_error("deploy = 1\n").find("[deploy] must be a table") != std::string::npos);
  CHECK(parse_error("disable = [\"syntax-error\"]\n[rules]\nsyntax-error = \"on\"\n").find("both turned on and off") !=
        std::string::npos);
}

TEST_CASE("TOML syntax errors name the line and column") {
  std::string err = parse_error("pg_version = 15\nfail_on = \n");
  CHECK(err.rfind("pgstage.toml:2:", 0) == 0);
}

TEST_CASE("a registered section is accepted and its validator's errors are reported") {
  register_config_section("test-section", [](const toml::node& n, const std::string& file, std::string& err) {
    const toml::table* t = n.as_table();
    if (!t) {
      err = config_error(file, n, "[test-section] must be a table");
      return false;
    }
    for (auto&& [k, v] : *t)
      if (k.str() != "ok") {
        err = config_error(file, v, "unknown key `" + std::string(k.str()) + "` in [test-section]");
        return false;
      }
    return true;
  });
  Config c;
  std::string err;
  CHECK_MESSAGE(parse_config("fail_on = \"hint\"\n[test-section]\nok = true\n", "pgstage.toml", c, err), err);
  CHECK(c.table["test-section"]["ok"].value<bool>() == true);
  CHECK(parse_error("[test-section]\nbad = 1\n") == "pgstage.toml:2:7: unknown key `bad` in [test-section]");
}

TEST_CASE("find_config walks up from a directory") {
  TempDir d;
  d.write("pgstage.toml", "pg_version = 13\n");
  d.write("a/b/c/.keep", "");
  auto found = find_config(d.path() + "/a/b/c");
  REQUIRE(found);
  CHECK(std::filesystem::equivalent(*found, d.path() + "/pgstage.toml"));
  d.write("a/pgstage.toml", "");
  found = find_config(d.path() + "/a/b");
  REQUIRE(found);
  CHECK(std::filesystem::equivalent(*found, d.path() + "/a/pgstage.toml"));
}

TEST_CASE("the shipped sample configuration is valid") {
  Config c;
  std::string err;
  CHECK_MESSAGE(load_config(std::string(PGSTAGE_SOURCE_DIR) + "/samples/pgstage.toml", c, err), err);
  CHECK(c.lint.migrations.has_value());
}

namespace {

const char* kHistory = "CREATE TABLE users (id bigint PRIMARY KEY);\n";
// With a lock_timeout, adding-required-column is the only finding (so severities decide the exit code).
const char* kUnsafe = "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN email text NOT NULL;\n";

}  // namespace

TEST_CASE("lint reads pgstage.toml from a parent directory; flags override it") {
  TempDir d;
  d.write("db/migrations/001_users.sql", kHistory);
  d.write("db/migrations/002_email.sql", kUnsafe);
  d.write("db/sub/.keep", "");

  SUBCASE("no config: the error fails the run") {
    auto r = run_pgstage({"lint", "--no-config", "db/migrations"}, d.path());
    CHECK(r.exit_code == 1);
  }
  SUBCASE("migrations from the config, resolved against its directory") {
    d.write("pgstage.toml", "migrations = \"db/migrations\"\n");
    auto r = run_pgstage({"lint", "--format", "json"}, d.path() + "/db/sub");
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("adding-required-column") != std::string::npos);
    CHECK(nlohmann::json::parse(r.out)["summary"]["findings"] == 1);
  }
  SUBCASE("disabled in the config; --enable on the command line wins") {
    d.write("pgstage.toml", "migrations = \"db/migrations\"\ndisable = [\"adding-required-column\"]\n");
    CHECK(run_pgstage({"lint"}, d.path()).exit_code == 0);
    CHECK(run_pgstage({"lint", "--enable", "adding-required-column"}, d.path()).exit_code == 1);
    CHECK(run_pgstage({"lint", "--no-config", "db/migrations"}, d.path()).exit_code == 1);
  }
  SUBCASE("a severity override in [rules], and --fail-on over fail_on") {
    d.write("pgstage.toml", "migrations = \"db/migrations\"\nfail_on = \"error\"\n[rules]\nadding-required-column = \"warning\"\n");
    auto r = run_pgstage({"lint", "--format", "json"}, d.path());
    CHECK(r.exit_code == 0);
    auto doc = nlohmann::json::parse(r.out);
    REQUIRE(doc["findings"].size() == 1);
    CHECK(doc["findings"][0]["severity"] == "warning");
    CHECK(run_pgstage({"lint", "--fail-on", "warning"}, d.path()).exit_code == 1);
  }
  SUBCASE("fail_on from the config") {
    d.write("pgstage.toml", "migrations = \"db/migrations\"\nfail_on = \"hint\"\n[rules]\nadding-required-column = \"hint\"\n");
    CHECK(run_pgstage({"lint"}, d.path()).exit_code == 1);
    CHECK(run_pgstage({"lint", "--fail-on", "error"}, d.path()).exit_code == 0);
  }
  SUBCASE("large_tables raises a warning to an error") {
    d.write("pgstage.toml", "migrations = \"db/migrations\"\nlarge_tables = [\"users\"]\n[rules]\nadding-required-column = \"warning\"\n");
    auto r = run_pgstage({"lint"}, d.path());
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("large table") != std::string::npos);
  }
  SUBCASE("--config names another file") {
    d.write("ci.toml", "disable = [\"adding-required-column\"]\n");
    CHECK(run_pgstage({"lint", "--config", "ci.toml", "db/migrations"}, d.path()).exit_code == 0);
    auto r = run_pgstage({"lint", "--config", "missing.toml", "db/migrations"}, d.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("missing.toml: config file not found") != std::string::npos);
  }
  SUBCASE("a bad config exits 2 naming file, line and key") {
    d.write("pgstage.toml", "\nfail_om = \"hint\"\n");
    auto r = run_pgstage({"lint", "db/migrations"}, d.path() + "/db/sub");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("pgstage.toml:2:1: unknown key `fail_om`") != std::string::npos);
  }
  SUBCASE("no paths and no migrations key is a usage error") {
    auto r = run_pgstage({"lint", "--no-config"}, d.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("no migrations given") != std::string::npos);
  }
}

TEST_CASE("large_tables matches plain and schema-qualified names") {
  for (std::string name : {"users", "public.users"}) {
    INFO(name);
    LintOptions o;
    o.large_tables.insert(name);
    o.severity["adding-required-column"] = Severity::Warning;
    auto r = test::lint_text(std::string(kHistory) + "-- pgstage:history-end\n" + kUnsafe, o);
    auto f = test::findings_of(r, "adding-required-column");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::Error);
    CHECK(f[0].message.find("large table") != std::string::npos);
  }
  LintOptions o;
  o.large_tables.insert("other.users");
  o.severity["adding-required-column"] = Severity::Warning;
  auto f = test::findings_of(test::lint_text(std::string(kHistory) + "-- pgstage:history-end\n" + kUnsafe, o),
                             "adding-required-column");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Warning);
}
