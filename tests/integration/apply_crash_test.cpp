// kill -9 at injected points (between steps, during a DDL retry, mid-backfill, between a concurrent
// build and its record); the next apply resumes and ends in the state of an uninterrupted run,
// with no backfill batch applied twice.
#include "tests/integration/apply_support.h"

namespace integration_apply_crash_test {

using namespace pgstage;
using namespace pgstage::test;

namespace {

constexpr int kRows = 250;
constexpr int kBatch = 100;

// Everything an apply leaves behind that must not depend on interruptions.
std::string final_state(const std::string& url) {
  return q1(url, R"SQL(
    SELECT concat_ws(' | ',
      (SELECT count(*) || ' rows, hits ' || min(hits) || '..' || max(hits) || ', code ' || count(code) FROM items),
      (SELECT string_agg(c.relname || ':' || i.indisvalid, ',' ORDER BY c.relname)
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'items'::regclass),
      (SELECT string_agg(name || '=' || status || '@' || release, ',' ORDER BY name) FROM pgstage.migrations),
      (SELECT string_agg(step_id || '=' || status, ',' ORDER BY migration, ord) FROM pgstage.steps),
      (SELECT string_agg(rows_done || ' rows/' || batches || ' batches/' || done, ',') FROM pgstage.backfills))
  )SQL");
}

std::string uninterrupted_state() {
  static std::string s = [] {
    auto& pg = PgCluster::shared();
    std::string url = pg.fresh_database("crashref");
    MigrationDir d;
    write_items_migrations(d, kRows);
    auto r = executor::apply_migrations(items_request(d, url, "r1", kBatch));
    REQUIRE(r.exit_code == 0);
    return final_state(url);
  }();
  return s;
}

}  // namespace

TEST_CASE("kill -9 at injected points, then resume: same end state as an uninterrupted run") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string expected = uninterrupted_state();
  CHECK(expected.find("250 rows, hits 1..1, code 250") != std::string::npos);
  CHECK(expected.find("250 rows/3 batches/true") != std::string::npos);

  for (std::string fault : {"after-step:1", "after-step:2", "before-record:1", "after-step:3", "after-batch:1",
                            "after-batch:2", "after-batch:3", "after-step:4"}) {
    CAPTURE(fault);
    std::string url = pg.fresh_database("crash");
    MigrationDir d;
    write_items_migrations(d, kRows);
    auto req = items_request(d, url, "r1", kBatch);
    auto child = run_apply_child(req, fault);
    CHECK(child.signal == SIGKILL);
    std::vector<std::string> log;
    auto resumed = executor::apply_migrations(items_request(d, url, "r1", kBatch, &log));
    INFO(joined(log), resumed.error);
    CHECK(resumed.exit_code == 0);
    CHECK(final_state(url) == expected);
  }
}

TEST_CASE("kill -9 while waiting to retry a lock-blocked step, then resume") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string expected = uninterrupted_state();
  std::string url = pg.fresh_database("crashretry");
  MigrationDir d;
  write_items_migrations(d, kRows);
  fs::remove(fs::path(d.path()) / "002_code.sql");  // 001 alone first
  REQUIRE(executor::apply_migrations(items_request(d, url, "r1", kBatch)).exit_code == 0);
  write_items_migrations(d, kRows);
  // 002 blocked by a reader; the child dies during its first retry wait.
  {
    pqxx::connection holder_conn(url);
    pqxx::work holder(holder_conn);
    holder.exec("SELECT * FROM items LIMIT 1");
    auto req = items_request(d, url, "r1", kBatch);
    req.settings.lock_timeout = std::chrono::milliseconds(100);
    auto child = run_apply_child(req, "in-retry:1");
    CHECK(child.signal == SIGKILL);
    holder.commit();
  }
  CHECK(
      q1(url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'code'") ==
      "0");
  auto r = executor::apply_migrations(items_request(d, url, "r1", kBatch));
  CHECK(r.exit_code == 0);
  CHECK(final_state(url) == expected);
  CHECK(q1(url, "SELECT count(*) FROM items WHERE hits = 1 AND code IS NOT NULL") == "250");
}

TEST_CASE("the pgstage binary killed between steps of a migration resumes where it stopped") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("crashbin");
  MigrationDir d;
  d.write("001_t.sql", "CREATE TABLE t (id int PRIMARY KEY, n int);\nINSERT INTO t VALUES (1, 1);\n");
  d.write("002_steps.sql",
          "CREATE INDEX CONCURRENTLY t_n_idx ON t (n);\nUPDATE t SET n = n + 1;\n"
          "CREATE INDEX CONCURRENTLY t_id_n_idx ON t (id, n);\n");
  for (std::string fault : {"after-step:2", "after-step:3", "before-record:2"}) {
    CAPTURE(fault);
    std::string db = pg.fresh_database("crashbin");
    auto killed =
        run_pgstage({"apply", d.path(), "--database-url", db, "--release", "v1"}, {.env = {{"PGSTAGE_FAULT", fault}}});
    CHECK(killed.signal == SIGKILL);
    auto resumed = run_pgstage({"apply", d.path(), "--database-url", db, "--release", "v1"});
    INFO(resumed.out, resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(q1(db, "SELECT n FROM t") == "2");  // the UPDATE ran exactly once
    CHECK(q1(db, "SELECT count(*) FROM pg_index WHERE indrelid = 't'::regclass AND indisvalid") == "3");
    CHECK(q1(db, "SELECT string_agg(status, ',' ORDER BY ord) FROM pgstage.steps WHERE migration = '002_steps.sql'") ==
          "done,done,done");
  }
}

}  // namespace integration_apply_crash_test
