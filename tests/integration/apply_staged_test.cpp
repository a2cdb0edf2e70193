// An unsafe migration split across two releases; refusal of unsafe findings without a recipe.
#include "tests/integration/apply_support.h"

namespace integration_apply_staged_test {

using namespace pgstage;
using namespace pgstage::test;

TEST_CASE("an unsafe migration runs expand+backfill now and its contract only after mark-deployed") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("staged");
  MigrationDir d;
  write_items_migrations(d, 250);
  std::vector<std::string> log;
  auto req = items_request(d, url, "r1", 100, &log);
  auto r1 = executor::apply_migrations(req);
  INFO(joined(log), r1.error);
  REQUIRE(r1.exit_code == 0);
  CHECK(r1.ran == std::vector<std::string>{"001_items.sql"});
  CHECK(r1.expanded == std::vector<std::string>{"002_code.sql"});
  CHECK(q1(url, "SELECT count(*) FROM items WHERE code = 'c' || id AND hits = 1") == "250");
  CHECK(q1(url, "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'code'") == "f");
  CHECK(q1(url, "SELECT status FROM pgstage.migrations WHERE name = '002_code.sql'") == "expanded");
  CHECK(q1(url, "SELECT batches FROM pgstage.backfills") == "3");

  // Release r2 is applied before r1 is marked deployed: the contract waits.
  log.clear();
  auto r2 = executor::apply_migrations(items_request(d, url, "r2", 100, &log));
  CHECK(r2.exit_code == 0);
  CHECK(r2.contracted.empty());
  REQUIRE(r2.waiting.size() == 1);
  CHECK(r2.waiting[0].find("contract waits until a release deployed after its expand (applied with release r1)") !=
        std::string::npos);
  CHECK(q1(url, "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'code'") == "f");

  executor::StatusReport st;
  REQUIRE(executor::read_status(url, st).ok);
  REQUIRE(st.contracts.size() == 1);
  CHECK_FALSE(st.contracts[0].ready);

  REQUIRE(executor::mark_deployed(url, "r1").ok);
  log.clear();
  auto r3 = executor::apply_migrations(items_request(d, url, "r2", 100, &log));
  INFO(joined(log), r3.error);
  CHECK(r3.exit_code == 0);
  CHECK(r3.contracted == std::vector<std::string>{"002_code.sql"});
  CHECK(q1(url, "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'code'") == "t");
  CHECK(q1(url, "SELECT status FROM pgstage.migrations WHERE name = '002_code.sql'") == "complete");
  CHECK(q1(url, "SELECT count(*) FROM pg_constraint WHERE conname = 'items_code_not_null'") == "0");
  CHECK(q1(url, "SELECT count(*) FROM items WHERE hits = 1") == "250");
}

TEST_CASE("an unsafe finding without a recipe refuses the run before anything runs, unless ignored") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("refuse");
  MigrationDir d;
  d.write("001_t.sql", "CREATE TABLE t (id int PRIMARY KEY);\n");
  d.write("002_broken.sql", "ALTER TABLE t ADD COLUMN x int;\nALTER TABLE t ADD COLUM y int;\n");
  std::vector<std::string> log;
  executor::ApplyRequest req;
  req.migrations_dir = d.path();
  req.database_url = url;
  req.release = "r1";
  req.rules = rules::all();
  req.out = [&](const std::string& l) { log.push_back(l); };
  auto r = executor::apply_migrations(req);
  CHECK(r.exit_code == 1);
  REQUIRE_FALSE(r.refused.empty());
  CHECK(r.refused[0].find("002_broken.sql:2:") != std::string::npos);
  CHECK(q1(url, "SELECT to_regclass('t') IS NULL") == "t");  // 001 did not run either
  CHECK(q1(url, "SELECT count(*) FROM pgstage.migrations") == "0");

  // The same unsafe statement: refused without a planner, run as written once ignored.
  MigrationDir d2;
  d2.write("001_t.sql", "CREATE TABLE t (id int PRIMARY KEY);\n");
  d2.write("002_req.sql", "ALTER TABLE t ADD COLUMN y int NOT NULL;\n");
  req.migrations_dir = d2.path();
  auto r2 = executor::apply_migrations(req);
  CHECK(r2.exit_code == 1);
  CHECK(q1(url, "SELECT to_regclass('t') IS NULL") == "t");
  d2.write("002_req.sql",
           "-- pgstage:ignore adding-required-column -- the table is empty and the app sets it\n"
           "ALTER TABLE t ADD COLUMN y int NOT NULL;\n");
  auto r3 = executor::apply_migrations(req);
  INFO(r3.error, joined(log));
  CHECK(r3.exit_code == 0);
  CHECK(r3.ran.size() == 2);
  CHECK(q1(url, "SELECT attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'y'") == "t");
}

}  // namespace integration_apply_staged_test
