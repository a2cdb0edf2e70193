// lint --since REF, against a real temporary git repository.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/cli_run.h"

namespace unit_lint_since_test {

using nlohmann::json;
using pgstage::test::run_pgstage;
using pgstage::test::run_program;
using pgstage::test::TempDir;

namespace {

void git(const TempDir& d, std::vector<std::string> args) {
  std::vector<std::string> argv{"git",
                                "-c",
                                "user.name=pgstage test",
                                "-c",
                                "user.email=test@example.com",
                                "-c",
                                "commit.gpgsign=false",
                                "-c",
                                "init.defaultBranch=main"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_program(argv, {.cwd = d.path()});
  REQUIRE_MESSAGE(r.exit_code == 0, "git failed: " << r.err);
}

std::vector<json> findings_of(const json& doc, const std::string& rule) {
  std::vector<json> out;
  for (auto& f : doc["findings"])
    if (f["rule"] == rule) out.push_back(f);
  return out;
}

std::set<std::string> reviewed_files(const json& doc) {
  std::set<std::string> out;
  for (auto& f : doc["files"]) out.insert(f["path"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("--since lints only changed migrations, with the others as history and one change set") {
  TempDir d;
  git(d, {"init", "-q"});
  d.write("db/migrations/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n");
  d.write("db/migrations/002_unsafe_old.sql", "ALTER TABLE users ADD COLUMN legacy text NOT NULL;\n");
  git(d, {"add", "."});
  git(d, {"commit", "-q", "-m", "base"});
  git(d, {"tag", "base"});
  // Committed after base: an unsafe change on an existing table, and a new table.
  d.write("db/migrations/003_email.sql", "ALTER TABLE users ADD COLUMN email text NOT NULL;\n");
  d.write("db/migrations/004_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);\n");
  git(d, {"add", "."});
  git(d, {"commit", "-q", "-m", "feature"});
  // Untracked: alters the table created in 004 (same change set: new, so no finding).
  d.write("db/migrations/005_orders_total.sql", "ALTER TABLE orders ADD COLUMN total bigint NOT NULL;\n");

  auto r = run_pgstage({"lint", "--no-config", "--since", "base", "--format", "json", "db/migrations"}, d.path());
  CHECK(r.exit_code == 1);
  INFO(r.out << r.err);
  json doc = json::parse(r.out);
  CHECK(reviewed_files(doc) == std::set<std::string>{"db/migrations/003_email.sql", "db/migrations/004_orders.sql",
                                                     "db/migrations/005_orders_total.sql"});
  auto required = findings_of(doc, "adding-required-column");
  REQUIRE(required.size() == 1);
  CHECK(required[0]["file"] == "db/migrations/003_email.sql");

  SUBCASE("uncommitted edits to an old migration count as changed") {
    d.write("db/migrations/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n");
    auto r2 = run_pgstage({"lint", "--no-config", "--since", "HEAD", "--format", "json", "db/migrations"}, d.path());
    json doc2 = json::parse(r2.out);
    CHECK(reviewed_files(doc2) ==
          std::set<std::string>{"db/migrations/001_users.sql", "db/migrations/005_orders_total.sql"});
    // 005 alters a table created in history (004), so it is an existing table now.
    CHECK(r2.exit_code == 1);
  }
  SUBCASE("nothing changed: nothing to lint, exit 0") {
    git(d, {"add", "."});
    git(d, {"commit", "-q", "-m", "all"});
    auto r3 = run_pgstage({"lint", "--no-config", "--since", "HEAD", "--format", "json", "db/migrations"}, d.path());
    CHECK(r3.exit_code == 0);
    CHECK(json::parse(r3.out)["files"].empty());
  }
  SUBCASE("works from a subdirectory and with a file argument") {
    auto r4 = run_pgstage({"lint", "--no-config", "--since", "base", "--format", "json", "003_email.sql"},
                          d.path() + "/db/migrations");
    CHECK(r4.exit_code == 1);
    CHECK(reviewed_files(json::parse(r4.out)) == std::set<std::string>{"./003_email.sql"});
  }
  SUBCASE("an unknown ref is a usage error naming it") {
    auto r5 = run_pgstage({"lint", "--no-config", "--since", "no-such-ref", "db/migrations"}, d.path());
    CHECK(r5.exit_code == 2);
    CHECK(r5.err.find("--since no-such-ref") != std::string::npos);
  }
}

TEST_CASE("--since outside a git repository is a usage error") {
  TempDir d;
  d.write("m/001.sql", "SELECT 1;\n");
  auto r = run_pgstage({"lint", "--no-config", "--since", "main", "m"}, d.path());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("git") != std::string::npos);
}

}  // namespace unit_lint_since_test
