// `plan` and `check-queries` starting from a real database's schema (--schema-url, read-only through
// pg_dump) or a snapshot's (--schema, its "sql") instead of replaying the migrations before the file.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/integration/check_queries_report.h"
#include "tests/support/cli_run.h"
#include "tests/support/pg_cluster.h"

namespace integration_schema_start_test {

using namespace pgstage;
using json = nlohmann::json;
using test::status_at;

namespace {

// A "production" database whose schema no migration in the test directory creates: an enum, a
// table using it, an index, a view and a function, a role with a password, and pgstage's own state
// schema (left out of the copy).
struct Production {
  std::string url;           // as the user gives it, with the password
  std::string redacted;      // what pgstage may print
  std::string shadow;        // where the throwaway databases go
  test::TempDir dir;
  Production() {
    auto& c = test::PgCluster::shared();
    REQUIRE_MESSAGE(c.ok(), c.error());
    shadow = c.url();
    std::string admin = c.fresh_database("prod");
    std::string db = admin.substr(admin.rfind('/') + 1);
    pqxx::connection conn(admin);
    pqxx::nontransaction tx(conn);
    tx.exec("DO $$ BEGIN CREATE ROLE app LOGIN PASSWORD 'sekret-pw-9'; EXCEPTION WHEN duplicate_object THEN NULL; "
            "END $$");
    tx.exec("CREATE TYPE mood AS ENUM ('ok', 'sad')");
    tx.exec("CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, mood mood NOT NULL DEFAULT 'ok')");
    tx.exec("CREATE INDEX users_name ON users (name)");
    tx.exec("CREATE VIEW happy AS SELECT id FROM users WHERE mood = 'ok'");
    tx.exec("CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM users'");
    tx.exec("COMMENT ON COLUMN users.name IS 'display name'");
    tx.exec("GRANT SELECT ON users TO app");
    tx.exec("INSERT INTO users VALUES (1, 'ann', 'ok'), (2, 'bob', 'sad')");
    tx.exec("CREATE SCHEMA pgstage");
    tx.exec("CREATE TABLE pgstage.migrations (id int)");
    url = "postgresql://app:sekret-pw-9@127.0.0.1:" + std::to_string(c.port()) + "/" + db;
    redacted = "postgresql://app:***@127.0.0.1:" + std::to_string(c.port()) + "/" + db;
    // The directory's history would build another schema: a replay would be seen.
    dir.write("migrations/001_legacy.sql", "CREATE TABLE legacy_only (id int);\n");
    dir.write("migrations/002_rename.sql", "ALTER TABLE users RENAME COLUMN name TO full_name;\n");
  }
  std::string query1(const std::string& sql) {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].c_str();
  }
  proc::Result run(const std::vector<std::string>& args) { return test::run_pgstage(args, dir.path()); }
};

}  // namespace

TEST_CASE("check-queries --schema-url: the throwaway database starts from the live schema, read-only") {
  Production p;
  p.dir.write("old.sql",
              "SELECT name, mood FROM users WHERE id = $1;\n"
              "SELECT id FROM happy;\n"
              "SELECT user_count();\n"
              "SELECT id FROM legacy_only;\n");
  p.dir.write("new.sql", "SELECT full_name, mood FROM users WHERE id = $1;\n");
  auto r = p.run({"check-queries", "migrations/002_rename.sql", "--queries", "old.sql", "--new-queries", "new.sql",
                  "--schema-url", p.url, "--shadow-url", p.shadow, "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK((r.out + r.err).find("sekret-pw-9") == std::string::npos);
  json doc = json::parse(r.out);
  CHECK(doc["start"] == "the schema of " + p.redacted);
  CHECK(doc["staged"] == true);
  // The enum, the view and the function came from the live database...
  for (auto id : {"old-1", "old-2", "old-3"}) {
    CHECK(status_at(doc, "before", id) == "ok");
    CHECK(status_at(doc, "after-expand", id) == "ok");
  }
  CHECK(status_at(doc, "after-contract", "old-1") == "expected");
  CHECK(status_at(doc, "after-contract", "new-1") == "ok");
  // ... and the directory's history was not replayed.
  CHECK(status_at(doc, "before", "old-4") == "failing-before");
  CHECK(r.err.find("building the schema before the migration from the schema of " + p.redacted) != std::string::npos);
  // The live database is as it was.
  CHECK(p.query1("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                 "WHERE table_name = 'users' AND table_schema = 'public'") == "id,name,mood");
  CHECK(p.query1("SELECT count(*) FROM users") == "2");

  // Text output names the start point.
  auto t = p.run({"check-queries", "migrations/002_rename.sql", "--queries", "old.sql", "--schema-url", p.url,
                  "--shadow-url", p.shadow});
  INFO(t.out << t.err);
  CHECK(t.exit_code == 0);
  CHECK(t.out.find(", starting from the schema of " + p.redacted + ": 4 old and 0 new queries") != std::string::npos);
}

TEST_CASE("plan --schema-url plans against the live catalog; --verify proves it from a copy of the live schema") {
  Production p;
  // Without a history the planner does not know users.
  auto none = p.run({"plan", "migrations/002_rename.sql", "--no-history"});
  CHECK(none.exit_code != 0);
  auto r = p.run({"plan", "migrations/002_rename.sql", "--schema-url", p.url, "--verify", "--shadow-url", p.shadow});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("Verification (verified") != std::string::npos);
  CHECK(r.err.find("verify: building the schema before the migration from the schema of " + p.redacted) !=
        std::string::npos);
  CHECK((r.out + r.err).find("sekret-pw-9") == std::string::npos);
  CHECK(p.query1("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = "
                 "'full_name'") == "0");
}

TEST_CASE("snapshot carries the schema as SQL; plan --verify --schema builds its throwaway database from it") {
  Production p;
  auto s = p.run({"snapshot", "--database-url", p.url, "-o", "schema.json"});
  INFO(s.out << s.err);
  REQUIRE(s.exit_code == 0);
  auto r = p.run({"plan", "migrations/002_rename.sql", "--schema", "schema.json", "--verify", "--shadow-url", p.shadow,
                  "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  json plan = json::parse(r.out);
  CHECK(plan["verification"]["verified"] == true);
  CHECK(r.err.find("from snapshot schema.json") != std::string::npos);

  // A snapshot without SQL serves lint, not a throwaway database: the message says how to get one.
  p.dir.write("bare.json", R"({"version": 1, "kind": "pgstage-schema", "tables": [], "indexes": [], "objects": []})");
  auto bare = p.run({"plan", "migrations/002_rename.sql", "--schema", "bare.json", "--verify", "--shadow-url", p.shadow});
  CHECK(bare.exit_code == 2);
  CHECK(bare.err.find("bare.json: the snapshot has no schema SQL") != std::string::npos);
  // The schema before the file is one thing: not a snapshot and a history.
  auto both = p.run({"plan", "migrations/002_rename.sql", "--schema", "schema.json", "--history", "migrations"});
  CHECK(both.exit_code == 2);
  CHECK(both.err.find("drop --history") != std::string::npos);
}

TEST_CASE("--schema-url with a database that cannot be read: exit 2, the error names it without the password") {
  Production p;
  std::string bad = "postgresql://app:sekret-pw-9@127.0.0.1:1/nowhere";
  p.dir.write("q.sql", "SELECT 1;\n");
  auto r = p.run({"check-queries", "migrations/002_rename.sql", "--queries", "q.sql", "--schema-url", bad,
                  "--shadow-url", p.shadow});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("postgresql://app:***@127.0.0.1:1/nowhere") != std::string::npos);
  CHECK((r.out + r.err).find("sekret-pw-9") == std::string::npos);
}

}  // namespace integration_schema_start_test
