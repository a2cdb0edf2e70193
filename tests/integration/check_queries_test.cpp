// `pgstage check-queries` on a real Postgres: the running release's queries PREPAREd before the
// migration and after each phase of its plan (issue #17).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/check_queries_report.h"
#include "tests/support/cli_run.h"
#include "tests/support/pg_cluster.h"

namespace integration_check_queries_test {

using namespace pgstage;
using json = nlohmann::json;
using test::point_names;
using test::status_at;
using test::error_at;

namespace {

struct Fixture {
  test::TempDir dir;
  std::string shadow;
  Fixture() {
    auto& c = test::PgCluster::shared();
    REQUIRE_MESSAGE(c.ok(), c.error());
    shadow = c.url();
  }
  proc::Result run(std::vector<std::string> args) {
    args.insert(args.end(), {"--shadow-url", shadow});
    return test::run_pgstage(args, dir.path());
  }
};

}  // namespace

TEST_CASE("check-queries: a column rename plan keeps the old release's queries working until the contract") {
  Fixture f;
  f.dir.write("migrations/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n");
  f.dir.write("migrations/002_rename.sql", "ALTER TABLE users RENAME COLUMN name TO full_name;\n");
  f.dir.write("old/users.sql",
              "-- the running release\n"
              "SELECT name FROM users WHERE id = $1;\n"
              "SELECT * FROM users ORDER BY id;\n"
              "UPDATE users SET name = $2 WHERE id = $1;\n");
  f.dir.write("new/users.sql", "SELECT full_name FROM users WHERE id = $1;\n");
  auto r = f.run({"check-queries", "migrations/002_rename.sql", "--queries", "old", "--new-queries", "new/users.sql",
                  "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  json doc = json::parse(r.out);
  CHECK(doc["staged"] == true);
  CHECK(point_names(doc) == std::vector<std::string>{"before", "after-expand", "after-backfill", "after-contract"});
  CHECK(doc["queries"][0]["origin"] == "old/users.sql:2");
  CHECK(doc["queries"][2]["origin"] == "old/users.sql:4");
  // The old release's reader and writer work until the contract, then fail as expected.
  for (auto id : {"old-1", "old-3"}) {
    CHECK(status_at(doc, "before", id) == "ok");
    CHECK(status_at(doc, "after-expand", id) == "ok");
    CHECK(status_at(doc, "after-backfill", id) == "ok");
    CHECK(status_at(doc, "after-contract", id) == "expected");
    CHECK(error_at(doc, "after-contract", id).find("column \"name\"") != std::string::npos);
  }
  // SELECT * prepares at every point (its columns change; PREPARE cannot see how the code reads them).
  for (auto p : {"before", "after-expand", "after-backfill", "after-contract"})
    CHECK(status_at(doc, p, "old-2") == "ok");
  // The new release's reader: not there yet before, works from the expand on.
  CHECK(status_at(doc, "before", "new-1") == "not-required");
  CHECK(status_at(doc, "after-expand", "new-1") == "ok");
  CHECK(status_at(doc, "after-contract", "new-1") == "ok");
  CHECK(doc["summary"]["failed"] == 0);
  CHECK(doc["shadow"].get<std::string>().find("127.0.0.1") != std::string::npos);

  // Text output says the same.
  auto t = f.run({"check-queries", "migrations/002_rename.sql", "--queries", "old", "--new-queries", "new"});
  INFO(t.out << t.err);
  CHECK(t.exit_code == 0);
  CHECK(t.out.find("after-contract: 1/3 old ok, 1/1 new ok") != std::string::npos);
  CHECK(t.out.find("expected (only the new release runs now): old query old/users.sql:2: SELECT name FROM users WHERE "
                   "id = $1") != std::string::npos);
  CHECK(t.out.find("ok: every query works where it must") != std::string::npos);
}

TEST_CASE("check-queries: a type change that the old INSERT's parameter type no longer fits fails, naming it") {
  Fixture f;
  f.dir.write("migrations/001_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY, code text);\n");
  // Not staged (the finding is ignored): it runs as written while the old release still runs.
  f.dir.write("migrations/002_type.sql",
              "-- pgstage:ignore changing-column-type -- small table\n"
              "ALTER TABLE items ALTER COLUMN code TYPE integer USING code::integer;\n");
  f.dir.write("old.sql", "INSERT INTO items (id, code) VALUES ($1, $2);\nSELECT code FROM items;\n");
  auto r = f.run({"check-queries", "migrations/002_type.sql", "--queries", "old.sql", "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  json doc = json::parse(r.out);
  CHECK(doc["staged"] == false);
  CHECK(point_names(doc) == std::vector<std::string>{"before", "after-migration"});
  CHECK(status_at(doc, "before", "old-1") == "ok");
  CHECK(status_at(doc, "after-migration", "old-1") == "failed");
  CHECK(error_at(doc, "after-migration", "old-1") ==
        "column \"code\" is of type integer but expression is of type text");
  CHECK(status_at(doc, "after-migration", "old-2") == "ok");
  CHECK(doc["points"][1]["results"][0]["parameter_types"] == json::array({"bigint", "text"}));
  CHECK(doc["summary"]["failed"] == 1);

  auto t = f.run({"check-queries", "migrations/002_type.sql", "--queries", "old.sql"});
  INFO(t.out << t.err);
  CHECK(t.exit_code == 1);
  CHECK(t.out.find("FAILED after-migration: old query old.sql:1: INSERT INTO items (id, code) VALUES ($1, $2)\n"
                   "    column \"code\" is of type integer but expression is of type text (SQLSTATE 42804)") !=
        std::string::npos);
  CHECK(t.out.find("FAILED: 1 failure(s) of a query at a point where its release still runs") != std::string::npos);
}

TEST_CASE("check-queries: the staged type change keeps the old INSERT working until the contract") {
  Fixture f;
  f.dir.write("migrations/001_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY, code text);\n");
  f.dir.write("migrations/002_type.sql", "ALTER TABLE items ALTER COLUMN code TYPE integer USING code::integer;\n");
  f.dir.write("old.sql", "INSERT INTO items (id, code) VALUES ($1, $2);\n");
  f.dir.write("new.sql", "INSERT INTO items (id, code) VALUES ($1, $2);\n");
  auto r = f.run({"check-queries", "migrations/002_type.sql", "--queries", "old.sql", "--new-queries", "new.sql",
                  "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  json doc = json::parse(r.out);
  CHECK(doc["staged"] == true);
  CHECK(status_at(doc, "after-expand", "old-1") == "ok");
  CHECK(status_at(doc, "after-contract", "old-1") == "expected");
  CHECK(error_at(doc, "after-contract", "old-1").find("is of type integer but expression is of type text") !=
        std::string::npos);
  CHECK(status_at(doc, "after-contract", "new-1") == "ok");
}

TEST_CASE("check-queries: a query that fails before the migration is reported, not blamed") {
  Fixture f;
  f.dir.write("migrations/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n");
  f.dir.write("migrations/002_add.sql", "ALTER TABLE users ADD COLUMN email text;\n");
  f.dir.write("old.sql", "SELECT nickname FROM users;\nSELECT name FROM users;\n");
  auto r = f.run({"check-queries", "migrations/002_add.sql", "--queries", "old.sql", "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  json doc = json::parse(r.out);
  CHECK(doc["staged"] == false);
  CHECK(status_at(doc, "before", "old-1") == "failing-before");
  CHECK(status_at(doc, "after-migration", "old-1") == "failing-before");
  CHECK(error_at(doc, "before", "old-1") == "column \"nickname\" does not exist");
  CHECK(status_at(doc, "after-migration", "old-2") == "ok");
}

TEST_CASE("check-queries: usage and input errors exit 2 with file:line:col") {
  Fixture f;
  f.dir.write("migrations/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n");
  f.dir.write("bad.sql", "SELECT id FROM users;\nSELEC id FROM users;\n");
  f.dir.write("ddl.sql", "SELECT 1;\nDROP TABLE users;\n");
  auto r = f.run({"check-queries", "migrations/001_users.sql", "--queries", "bad.sql"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("bad.sql:2:1: the query does not parse") != std::string::npos);
  r = f.run({"check-queries", "migrations/001_users.sql", "--queries", "ddl.sql"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("ddl.sql:2:1: not a query") != std::string::npos);
  r = test::run_pgstage({"check-queries", "migrations/001_users.sql", "--queries", "ddl.sql"}, f.dir.path());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("exactly one of --temp-cluster and --shadow-url") != std::string::npos);
  r = test::run_pgstage(
      {"check-queries", "migrations/001_users.sql", "--queries", "pg_stat_statements", "--temp-cluster"},
      test::RunOptions{.cwd = f.dir.path(), .env = {{"PGSTAGE_DATABASE_URL", ""}}});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("needs --database-url") != std::string::npos);
  // A password in the shadow URL is never printed.
  f.dir.write("ok.sql", "SELECT 1;\n");
  r = test::run_pgstage({"check-queries", "migrations/001_users.sql", "--queries", "ok.sql", "--shadow-url",
                         "postgresql://u:s3cret@127.0.0.1:1/x"},
                        f.dir.path());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("could not run") != std::string::npos);
  CHECK(r.err.find("s3cret") == std::string::npos);
}

}  // namespace integration_check_queries_test
