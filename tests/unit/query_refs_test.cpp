// lint --queries: the running release's queries resolved statically against the catalog.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "analyzer/lint.h"
#include "analyzer/query_refs.h"
#include "queries/contract_gate.h"
#include "tests/support/cli_run.h"

namespace unit_query_refs_test {

using namespace pgstage;

namespace {
Catalog schema() {
  Catalog c;
  replay_into(c,
              make_source("h.sql",
                          "CREATE TABLE users (id bigint PRIMARY KEY, name text, email text);\n"
                          "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric);\n"
                          "CREATE SCHEMA billing; CREATE TABLE billing.invoices (id bigint, amount numeric);\n"),
              LintSettings{});
  return c;
}
bool col(const QueryRefs& r, const std::string& t, const std::string& c) {
  return r.uses_column(QualifiedName{"", t}, c);
}
}  // namespace

TEST_CASE("query resolution: columns through aliases, joins, CTEs, subqueries and *") {
  Catalog c = schema();
  auto r = resolve_query("SELECT u.name, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id = $1", c);
  REQUIRE(r.resolved);
  CHECK(col(r, "users", "name"));
  CHECK(col(r, "orders", "total"));
  CHECK(col(r, "orders", "user_id"));
  CHECK_FALSE(col(r, "users", "email"));
  CHECK_FALSE(col(r, "orders", "name"));

  r = resolve_query(
      "WITH recent AS (SELECT user_id FROM orders) SELECT email FROM users WHERE id IN "
      "(SELECT user_id FROM recent)",
      c);
  REQUIRE(r.resolved);
  CHECK(col(r, "users", "email"));
  CHECK(col(r, "orders", "user_id"));
  CHECK_FALSE(col(r, "users", "name"));

  r = resolve_query("SELECT * FROM users", c);
  REQUIRE(r.resolved);
  CHECK(col(r, "users", "name"));
  CHECK_FALSE(r.uses_table(QualifiedName{"", "orders"}));

  r = resolve_query("SELECT o.*, u.email FROM orders o, users u", c);
  CHECK(col(r, "orders", "total"));
  CHECK(col(r, "users", "email"));
  CHECK_FALSE(col(r, "users", "name"));

  r = resolve_query("SELECT amount FROM billing.invoices", c);
  REQUIRE(r.resolved);
  CHECK(r.uses_column(QualifiedName{"billing", "invoices"}, "amount"));
}

TEST_CASE("query resolution: INSERT columns, UPDATE SET, DELETE, and what cannot be resolved") {
  Catalog c = schema();
  auto r = resolve_query("INSERT INTO users (name, email) VALUES ($1, $2) RETURNING id", c);
  REQUIRE(r.resolved);
  CHECK(col(r, "users", "name"));
  CHECK(col(r, "users", "id"));
  r = resolve_query("UPDATE users SET email = lower(name) WHERE id = $1", c);
  CHECK(col(r, "users", "email"));
  CHECK(col(r, "users", "name"));
  r = resolve_query("DELETE FROM orders WHERE total < $1", c);
  CHECK(col(r, "orders", "total"));
  CHECK(r.uses_table(QualifiedName{"public", "orders"}));

  r = resolve_query("SELECT x FROM nowhere", c);
  CHECK_FALSE(r.resolved);
  CHECK(r.unresolved == "unknown table nowhere");
  r = resolve_query("SELEC 1", c);
  CHECK_FALSE(r.resolved);
  CHECK(r.unresolved.find("does not parse") == 0);
}

TEST_CASE("lint --queries: evidence on compatibility findings, a hint when no query uses the object") {
  test::TempDir d;
  d.write("m/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text, nickname text);\n");
  d.write("m/002_drop.sql",
          "ALTER TABLE users DROP COLUMN nickname;\nALTER TABLE users RENAME COLUMN name TO full_name;\n");
  d.write("q.sql", "SELECT u.name FROM users u WHERE u.id = $1;\nSELECT id FROM users;\nSELECT a FROM elsewhere;\n");
  auto r =
      test::run_pgstage({"lint", "--no-config", "m/002_drop.sql", "--queries", "q.sql", "--format", "json"}, d.path());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);  // the rename is still an error: a query reads users.name
  auto doc = nlohmann::json::parse(r.out);
  bool saw_drop = false, saw_rename = false;
  for (auto& f : doc["findings"]) {
    if (f["rule"] == "dropping-column") {
      saw_drop = true;
      CHECK(f["queries"]["checked"] == 2);
      CHECK(f["queries"]["using"].empty());
      CHECK(f["queries"]["unresolved"].size() == 1);
      CHECK(f["queries"]["unresolved"][0]["reason"] == "unknown table elsewhere");
      CHECK(f["queries"]["objects"][0] == "users.nickname");
    }
    if (f["rule"] == "renaming-column") {
      saw_rename = true;
      CHECK(f["severity"] == "error");
      REQUIRE(f["queries"]["using"].size() == 1);
      CHECK(f["queries"]["using"][0]["origin"] == "q.sql:1");
      CHECK(f["message"].get<std::string>().find("1 of 2 queries of the running release use users.name: q.sql:1") !=
            std::string::npos);
    }
  }
  CHECK(saw_drop);
  CHECK(saw_rename);
  CHECK(r.err.find("1 could not be resolved") != std::string::npos);
  CHECK(r.err.find("q.sql:3: unknown table elsewhere") != std::string::npos);

  // Every query resolved and none uses the dropped column: the finding becomes a hint.
  d.write("q2.sql", "SELECT id, name FROM users;\n");
  d.write("m2/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text, nickname text);\n");
  d.write("m2/002_drop.sql", "ALTER TABLE users DROP COLUMN nickname;\n");
  r = test::run_pgstage({"lint", "--no-config", "m2/002_drop.sql", "--queries", "q2.sql"}, d.path());
  INFO(r.out << r.err);
  CHECK(r.out.find("hint[dropping-column]") != std::string::npos);
  CHECK(r.out.find("no query of the running release uses users.nickname: 1 queries checked") != std::string::npos);

  r = test::run_pgstage({"lint", "--no-config", "m2/002_drop.sql", "--queries", "missing.sql"}, d.path());
  CHECK(r.exit_code == 2);
}

TEST_CASE("the contract gate: statements whose calls grew, or that first ran between the samples") {
  Catalog c = schema();
  auto q = [](std::int64_t id, const std::string& sql, long long calls) {
    queries::Query x;
    x.sql = sql;
    x.from_stats = true;
    x.queryid = id;
    x.calls = calls;
    return x;
  };
  std::vector<ChangedObject> removed{{QualifiedName{"", "users"}, "name"}};
  std::vector<queries::Query> first{q(1, "SELECT name FROM users WHERE id = $1", 10),
                                    q(2, "SELECT email FROM users WHERE id = $1", 4),
                                    q(3, "SELECT id, name FROM users", 7)};
  std::vector<queries::Query> second{q(1, "SELECT name FROM users WHERE id = $1", 12),   // grew: still running
                                     q(2, "SELECT email FROM users WHERE id = $1", 9),   // grew, other column
                                     q(3, "SELECT id, name FROM users", 7),              // idle since
                                     q(4, "SELECT * FROM users WHERE id = $1", 1),       // new: uses name via *
                                     q(5, "SELECT total FROM orders", 3)};               // new, unrelated
  auto running = queries::grown_statements(first, second, removed, c);
  REQUIRE(running.size() == 2);
  CHECK(running[0] == "queryid 1: SELECT name FROM users WHERE id = $1 (calls 10 -> 12)");
  CHECK(running[1] == "queryid 4: SELECT * FROM users WHERE id = $1 (calls 0 -> 1, first seen in the interval)");
  CHECK(queries::grown_statements(first, first, removed, c).empty());
}

}  // namespace unit_query_refs_test
