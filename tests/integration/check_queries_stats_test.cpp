// The running release's queries read from pg_stat_statements (issue #17): a cluster started with
// shared_preload_libraries = pg_stat_statements, an "old release" running its statements, then
// `pgstage check-queries --queries pg_stat_statements` against a rename.
#include <doctest/doctest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>
#include <pqxx/pqxx>

#include "db/temp_cluster.h"
#include "queries/queries.h"
#include "tests/support/cli_run.h"

namespace integration_check_queries_stats_test {

using namespace pgstage;
using json = nlohmann::json;

namespace {

// One cluster with pg_stat_statements loaded, for this file's tests.
db::TempCluster& stats_cluster(std::string& err) {
  static db::TempCluster c;
  static std::string start_err;
  static bool started = [] {
    c.add_setting("shared_preload_libraries=pg_stat_statements");
    c.add_setting("pg_stat_statements.track=top");
    return c.start(start_err);
  }();
  (void)started;
  err = start_err;
  return c;
}

// A "production" database with the schema of 001 and the old release's statements run `calls` times
// by role `app`.
std::string production(db::TempCluster& c, int calls) {
  std::string url = c.fresh_database("prod");
  std::string dbname = url.substr(url.rfind('/') + 1);
  {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    tx.exec(
        "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app LOGIN; "
        "END IF; END$$");
    tx.exec("CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL)");
    tx.exec("GRANT SELECT, INSERT, UPDATE ON users TO app");
    tx.exec("SELECT pg_stat_statements_reset()");
  }
  std::string app_url = "postgresql://app@127.0.0.1:" + std::to_string(c.port()) + "/" + dbname;
  pqxx::connection app(app_url);
  for (int i = 0; i < calls; ++i) {
    pqxx::work tx(app);
    tx.exec_params("INSERT INTO users (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", i, "u");
    tx.exec("SELECT name FROM users WHERE id = " + std::to_string(i));
    tx.commit();
  }
  return url;
}

}  // namespace

TEST_CASE("pg_stat_statements as a query source: the old release's statements with their call counts") {
  std::string err;
  auto& c = stats_cluster(err);
  REQUIRE_MESSAGE(c.running(), err);
  std::string url = production(c, 3);
  // pgstage's own statements and the ones that read the view are left out.
  {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE SCHEMA IF NOT EXISTS pgstage");
    tx.exec("CREATE TABLE IF NOT EXISTS pgstage.state (id int)");
    tx.exec("SELECT id FROM pgstage.state");
  }
  std::vector<queries::Query> qs;
  queries::StatsSkipped skipped;
  REQUIRE_MESSAGE(queries::load_pg_stat_statements(url, {}, qs, skipped, err), err);
  std::map<std::string, long long> calls;
  for (auto& q : qs) {
    calls[q.sql] = q.calls;
    CHECK(q.from_stats);
    CHECK(q.origin.find("pg_stat_statements queryid ") == 0);
    CHECK(q.sql.find("pgstage.") == std::string::npos);
  }
  CHECK(calls["SELECT name FROM users WHERE id = $1"] == 3);
  CHECK(calls["INSERT INTO users (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING"] == 3);
  CHECK(skipped.pgstage >= 1);
  CHECK(skipped.utility >= 1);  // CREATE TABLE, GRANT, ...

  // Filters: the role that ran them, another role, another database.
  qs.clear();
  REQUIRE(queries::load_pg_stat_statements(url, {"", "app"}, qs, skipped, err));
  CHECK(qs.size() == 2);
  qs.clear();
  REQUIRE(queries::load_pg_stat_statements(url, {"", "postgres"}, qs, skipped, err));
  CHECK((qs.empty() ? std::string() : qs[0].sql) == "");
  qs.clear();
  REQUIRE(queries::load_pg_stat_statements(url, {"postgres", ""}, qs, skipped, err));
  CHECK(qs.empty());
}

TEST_CASE("check-queries --queries pg_stat_statements: a rename keeps the running release's statements working") {
  std::string err;
  auto& c = stats_cluster(err);
  REQUIRE_MESSAGE(c.running(), err);
  std::string url = production(c, 2);
  test::TempDir dir;
  dir.write("migrations/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n");
  dir.write("migrations/002_rename.sql", "ALTER TABLE users RENAME COLUMN name TO full_name;\n");
  auto r =
      test::run_pgstage({"check-queries", "migrations/002_rename.sql", "--queries", "pg_stat_statements",
                         "--database-url", url, "--stats-role", "app", "--shadow-url", c.url(), "--format", "json"},
                        dir.path());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  json doc = json::parse(r.out);
  REQUIRE(doc["queries"].size() == 2);
  for (auto& q : doc["queries"]) {
    CHECK(q["source"] == "pg_stat_statements");
    CHECK(q["calls"] == 2);
  }
  // Both statements work through expand and backfill and fail (as expected) after the contract.
  for (auto& p : doc["points"]) {
    for (auto& res : p["results"]) {
      if (p["name"] == "after-contract")
        CHECK(res["status"] == "expected");
      else
        CHECK(res["status"] == "ok");
    }
  }
  CHECK(doc["notes"][0].get<std::string>().find("2 queries read") != std::string::npos);

  // Without the extension in the database: a setup error (exit 2) that says how to enable it.
  std::string plain = c.fresh_database("plain");
  r = test::run_pgstage({"check-queries", "migrations/002_rename.sql", "--queries", "pg_stat_statements",
                         "--database-url", plain, "--shadow-url", c.url()},
                        dir.path());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("CREATE EXTENSION pg_stat_statements") != std::string::npos);
}

TEST_CASE("the contract gate refuses the contract while the old release still runs its statements") {
  std::string err;
  auto& c = stats_cluster(err);
  REQUIRE_MESSAGE(c.running(), err);
  std::string url = c.fresh_database("gate");
  {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  }
  test::TempDir dir;
  auto pgstage = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--database-url", url, "--no-config"});
    return test::run_pgstage(args, dir.path());
  };
  dir.write("migrations/001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n");
  auto r = pgstage({"apply", "migrations", "--release", "v1", "--migrations-only"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    tx.exec("INSERT INTO users VALUES (1, 'ada')");
  }
  dir.write("migrations/002_rename.sql", "ALTER TABLE users RENAME COLUMN name TO full_name;\n");
  r = pgstage({"apply", "migrations", "--release", "v2", "--migrations-only"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  r = pgstage({"mark-deployed", "v2"});
  REQUIRE(r.exit_code == 0);

  // Release v1 still runs: it reads users.name every few milliseconds.
  std::atomic<bool> stop{false};
  std::thread v1([&] {
    pqxx::connection conn(url);
    while (!stop) {
      try {
        pqxx::nontransaction tx(conn);
        tx.exec("SELECT name FROM users WHERE id = 1");
      } catch (const std::exception&) {
        break;  // never expected: the gate keeps the column while this runs (checked below)
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  r = pgstage({"apply", "migrations", "--release", "v2", "--migrations-only", "--contract-gate-interval", "1"});
  stop = true;
  v1.join();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  std::string all = r.out + r.err;
  CHECK(all.find("contract of 002_rename.sql refused") != std::string::npos);
  CHECK(all.find("using users.name still run") != std::string::npos);
  CHECK(all.find("SELECT name FROM users WHERE id = $1 (calls ") != std::string::npos);
  CHECK(all.find("--force-contract") != std::string::npos);
  {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    CHECK(tx.exec("SELECT 1 FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'name' AND NOT "
                  "attisdropped")
              .size() == 1);
  }

  // v1 has stopped: its statement's calls no longer grow, and the contract runs.
  r = pgstage({"apply", "migrations", "--release", "v2", "--migrations-only", "--contract-gate-interval", "1"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("contract 002_rename.sql") != std::string::npos);
  {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    CHECK(tx.exec("SELECT 1 FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'name' AND NOT "
                  "attisdropped")
              .empty());
  }
}

TEST_CASE("the contract gate: --force-contract runs the contract with a warning naming the statements") {
  std::string err;
  auto& c = stats_cluster(err);
  REQUIRE_MESSAGE(c.running(), err);
  std::string url = c.fresh_database("force");
  {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  }
  test::TempDir dir;
  auto pgstage = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--database-url", url, "--no-config", "--migrations-only"});
    return test::run_pgstage(args, dir.path());
  };
  dir.write("migrations/001_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY, legacy text);\n");
  REQUIRE(pgstage({"apply", "migrations", "--release", "v1"}).exit_code == 0);
  dir.write("migrations/002_drop.sql", "ALTER TABLE items DROP COLUMN legacy;\n");
  auto r = pgstage({"apply", "migrations", "--release", "v2"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(test::run_pgstage({"mark-deployed", "v2", "--database-url", url, "--no-config"}, dir.path()).exit_code == 0);
  std::atomic<bool> stop{false};
  std::thread v1([&] {
    pqxx::connection conn(url);
    while (!stop) {
      try {
        pqxx::nontransaction tx(conn);
        tx.exec("SELECT legacy FROM items WHERE id = 7");
      } catch (const std::exception&) {
        break;  // the forced contract dropped the column under v1: what --force-contract risks
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  r = pgstage({"apply", "migrations", "--release", "v2", "--contract-gate-interval", "1", "--force-contract"});
  stop = true;
  v1.join();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("warning: --force-contract: 1 statement(s) using items.legacy still run") != std::string::npos);
  CHECK(r.err.find("SELECT legacy FROM items WHERE id = $1") != std::string::npos);
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  CHECK(tx.exec("SELECT 1 FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'legacy' AND NOT "
                "attisdropped")
            .empty());
}

}  // namespace integration_check_queries_stats_test
