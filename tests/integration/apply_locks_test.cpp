// Lock contention (lock_timeout per try, retries with backoff, clean give-up) and INVALID indexes
// left by failed concurrent builds.
#include "tests/integration/apply_support.h"

namespace integration_apply_locks_test {

using namespace pgstage;
using namespace pgstage::test;

namespace {

int count_lines(const std::vector<std::string>& log, const std::string& needle) {
  int n = 0;
  for (auto& l : log) n += l.find(needle) != std::string::npos;
  return n;
}

executor::ApplyRequest plain_request(const MigrationDir& d, const std::string& url) {
  executor::ApplyRequest req;
  req.migrations_dir = d.path();
  req.database_url = url;
  req.release = "r1";
  req.rules = rules::all();
  req.settings.lock_timeout = std::chrono::milliseconds(200);
  req.settings.retry_base = std::chrono::milliseconds(50);
  req.settings.retry_cap = std::chrono::milliseconds(200);
  return req;
}

}  // namespace

TEST_CASE("a DDL step blocked by another session retries after each lock_timeout and succeeds once released") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("lockwait");
  MigrationDir d;
  d.write("001_t.sql", "CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1);\n");
  auto req = plain_request(d, url);
  REQUIRE(executor::apply_migrations(req).exit_code == 0);
  d.write("002_col.sql", "ALTER TABLE t ADD COLUMN extra int;\n");

  // Another session reads the table in an open transaction (ACCESS SHARE blocks ADD COLUMN).
  pqxx::connection holder_conn(url);
  auto holder = std::make_unique<pqxx::work>(holder_conn);
  holder->exec("SELECT * FROM t");
  std::vector<std::string> log;
  req.settings.lock_retries = 10;
  req.out = [&](const std::string& l) {
    log.push_back(l);
    // Release the blocker once apply has given up twice (deterministic: no sleeps in the test).
    if (holder && count_lines(log, "retrying in") == 2) {
      holder->commit();
      holder.reset();
    }
  };
  auto r = executor::apply_migrations(req);
  INFO(joined(log), r.error);
  CHECK(r.exit_code == 0);
  CHECK(count_lines(log, "lock not available within lock_timeout 200ms") == 2);
  CHECK(q1(url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'extra'") ==
        "1");
}

TEST_CASE("a DDL step still blocked after the last retry fails cleanly; the next apply finishes it") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("lockgiveup");
  MigrationDir d;
  d.write("001_t.sql", "CREATE TABLE t (id int PRIMARY KEY);\n");
  auto req = plain_request(d, url);
  REQUIRE(executor::apply_migrations(req).exit_code == 0);
  d.write("002_col.sql", "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD COLUMN b int;\n");
  d.write("003_other.sql", "CREATE TABLE other (id int);\n");

  pqxx::connection holder_conn(url);
  pqxx::work holder(holder_conn);
  holder.exec("SELECT * FROM t");
  std::vector<std::string> log;
  req.settings.lock_retries = 2;
  req.out = [&](const std::string& l) { log.push_back(l); };
  auto r = executor::apply_migrations(req);
  INFO(joined(log), r.error);
  CHECK(r.exit_code == 1);
  CHECK(r.error.find("gave up after 3 tries") != std::string::npos);
  CHECK(count_lines(log, "retrying in") == 2);
  // Nothing half-applied: neither column exists, 003 did not run, the step is recorded failed.
  CHECK(q1(url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 't'") == "1");
  CHECK(q1(url, "SELECT to_regclass('other') IS NULL") == "t");
  CHECK(q1(url, "SELECT status FROM pgstage.steps WHERE migration = '002_col.sql'") == "failed");
  holder.commit();

  log.clear();
  auto r2 = executor::apply_migrations(req);
  INFO(joined(log), r2.error);
  CHECK(r2.exit_code == 0);
  CHECK(q1(url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 't'") == "3");
  CHECK(q1(url, "SELECT string_agg(status, ',' ORDER BY name) FROM pgstage.migrations") == "applied,applied,applied");
}

TEST_CASE("a failed concurrent index build leaves no INVALID index; an existing INVALID one is dropped and rebuilt") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("invalid");
  MigrationDir d;
  d.write(
      "001_t.sql",
      "CREATE TABLE t (id int PRIMARY KEY, n int);\nINSERT INTO t SELECT g, g % 3 FROM generate_series(1, 30) g;\n");
  auto req = plain_request(d, url);
  REQUIRE(executor::apply_migrations(req).exit_code == 0);
  d.write("002_idx.sql", "CREATE UNIQUE INDEX CONCURRENTLY t_n_key ON t (n);\n");
  std::vector<std::string> log;
  req.out = [&](const std::string& l) { log.push_back(l); };
  auto r = executor::apply_migrations(req);
  CHECK(r.exit_code == 1);
  CHECK(r.error.find("t_n_key") != std::string::npos);
  CHECK(q1(url, "SELECT to_regclass('t_n_key') IS NULL") == "t");  // its INVALID leftover was dropped

  // A concurrent build that failed outside pgstage leaves an INVALID index behind.
  try {
    exec(url, "CREATE UNIQUE INDEX CONCURRENTLY t_n_key ON t (n)");
  } catch (const pqxx::sql_error&) {
  }
  REQUIRE(q1(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_n_key'::regclass") == "f");
  exec(url, "UPDATE t SET n = id");
  log.clear();
  auto r2 = executor::apply_migrations(req);
  INFO(joined(log), r2.error);
  CHECK(r2.exit_code == 0);
  CHECK(count_lines(log, "dropping INVALID index \"t_n_key\"") == 1);
  CHECK(q1(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_n_key'::regclass") == "t");
}

TEST_CASE("a concurrent build that times out waiting for a writer is dropped before its retry") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("cictimeout");
  MigrationDir d;
  d.write("001_t.sql", "CREATE TABLE t (id int PRIMARY KEY, n int);\n");
  auto req = plain_request(d, url);
  REQUIRE(executor::apply_migrations(req).exit_code == 0);
  d.write("002_idx.sql", "CREATE INDEX CONCURRENTLY t_n_idx ON t (n);\n");
  // An open writing transaction: CREATE INDEX CONCURRENTLY waits for it after creating the index entry.
  pqxx::connection writer_conn(url);
  auto writer = std::make_unique<pqxx::work>(writer_conn);
  writer->exec("INSERT INTO t VALUES (1, 1)");
  std::vector<std::string> log;
  req.settings.lock_retries = 10;
  req.out = [&](const std::string& l) {
    log.push_back(l);
    if (writer && count_lines(log, "retrying in") == 1) {
      writer->commit();
      writer.reset();
    }
  };
  auto r = executor::apply_migrations(req);
  INFO(joined(log), r.error);
  CHECK(r.exit_code == 0);
  CHECK(count_lines(log, "retrying in") == 1);
  CHECK(count_lines(log, "dropping INVALID index \"t_n_idx\"") == 1);
  CHECK(q1(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_n_idx'::regclass") == "t");
}

}  // namespace integration_apply_locks_test
