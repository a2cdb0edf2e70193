// The pgstage binary with the real planner: an unsafe migration across two releases, --dry-run of
// its plan, and kill -9 in the middle of its backfill.
#include "tests/integration/apply_support.h"

namespace integration_apply_planned_test {

using namespace pgstage::test;

namespace {

void write_users(const MigrationDir& d, int rows) {
  d.write("001_users.sql",
          "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n"
          "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, " +
              std::to_string(rows) + ") g;\n");
  d.write("002_plan.sql", "-- pgstage:fill 'free'\nALTER TABLE users ADD COLUMN plan text NOT NULL;\n");
}

std::string not_null(const std::string& url) {
  return q1(url, "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'plan'");
}

}  // namespace

TEST_CASE("pgstage apply stages an unsafe migration: contract refused before mark-deployed, run after") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("planned");
  MigrationDir d;
  write_users(d, 120);

  auto dry =
      run_pgstage({"apply", d.path(), "--database-url", url, "--release", "r1", "--dry-run", "--batch-size", "50"});
  INFO(dry.out, dry.err);
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.out.find("ADD COLUMN IF NOT EXISTS \"plan\" text") != std::string::npos);
  CHECK(dry.out.find("LIMIT 50") != std::string::npos);
  CHECK(q1(url, "SELECT to_regclass('users') IS NULL") == "t");

  auto r1 = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "r1", "--batch-size", "50"});
  INFO(r1.out, r1.err);
  REQUIRE(r1.exit_code == 0);
  CHECK(r1.out.find("1 expanded") != std::string::npos);
  CHECK(q1(url, "SELECT count(*) FROM users WHERE plan = 'free'") == "120");
  CHECK(not_null(url) == "f");

  auto r2 = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "r2"});
  CHECK(r2.exit_code == 0);
  CHECK(r2.out.find("contract waits until a release deployed after its expand (applied with release r1) is the "
                    "only one running; no release is deployed yet") != std::string::npos);
  CHECK(not_null(url) == "f");
  auto st = run_pgstage({"status", "--database-url", url});
  CHECK(st.out.find("002_plan.sql: contract waits until a release deployed after its expand") != std::string::npos);

  auto mark = run_pgstage({"mark-deployed", "r1", "--database-url", url});
  CHECK(mark.exit_code == 0);
  auto r3 = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "r2"});
  INFO(r3.out, r3.err);
  CHECK(r3.exit_code == 0);
  CHECK(r3.out.find("1 contracted") != std::string::npos);
  CHECK(not_null(url) == "t");
  CHECK(q1(url, "SELECT status FROM pgstage.migrations WHERE name = '002_plan.sql'") == "complete");
}

TEST_CASE("pgstage apply killed mid-backfill resumes after the last committed batch") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  for (std::string fault : {"after-batch:1", "after-batch:3", "after-step:2"}) {
    CAPTURE(fault);
    std::string url = pg.fresh_database("plancrash");
    MigrationDir d;
    write_users(d, 100);
    auto killed = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "r1", "--batch-size", "10"},
                              {.env = {{"PGSTAGE_FAULT", fault}}});
    CHECK(killed.signal == SIGKILL);
    auto st = run_pgstage({"status", "--database-url", url, "--format", "json"});
    CHECK(st.exit_code == 0);
    if (fault.starts_with("after-batch")) {  // status shows the interrupted backfill and how far it got
      std::string batches = fault.substr(fault.find(':') + 1);
      CHECK(st.out.find("\"rows_done\": " + std::to_string(10 * std::stoi(batches))) != std::string::npos);
    }
    auto resumed = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "r1", "--batch-size", "10"});
    INFO(resumed.out, resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(q1(url, "SELECT count(*) FROM users WHERE plan = 'free'") == "100");
    // Each batch counted once: 100 rows in 10 batches, however many runs it took.
    CHECK(q1(url, "SELECT rows_done || '/' || batches || '/' || done FROM pgstage.backfills") == "100/10/true");
    CHECK(q1(url, "SELECT status FROM pgstage.migrations WHERE name = '002_plan.sql'") == "expanded");
  }
}

TEST_CASE("a file with only warnings runs as written, or staged with --stage-warnings (what plan shows)") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  MigrationDir d;
  d.write("001_users.sql",
          "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n"
          "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 120) g;\n");
  d.write("002_upper.sql", "UPDATE users SET name = upper(name);\n");  // unbounded-dml: a warning

  // plan stages it and says that apply will not, unless told to.
  auto plan = run_pgstage({"plan", d.path() + "/002_upper.sql"});
  INFO(plan.out, plan.err);
  CHECK(plan.exit_code == 0);
  CHECK(plan.out.find("== backfill ==  (1 step)") != std::string::npos);
  CHECK(plan.err.find("`pgstage apply` runs it as written unless it stages warnings too") != std::string::npos);

  std::string url = pg.fresh_database("warnings_as_written");
  auto r = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "r1"});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("2 as written") != std::string::npos);
  CHECK(r.out.find("verified") == std::string::npos);  // nothing staged, nothing to verify
  CHECK(q1(url, "SELECT count(*) FROM users WHERE name = upper(name)") == "120");
  CHECK(q1(url, "SELECT count(*) FROM pgstage.backfills") == "0");

  std::string staged = pg.fresh_database("warnings_staged");
  auto s = run_pgstage({"apply", d.path(), "--database-url", staged, "--release", "r1", "--stage-warnings",
                        "--batch-size", "50", "--shadow-url", pg.url()});
  INFO(s.out, s.err);
  CHECK(s.exit_code == 0);
  CHECK(s.out.find("verified on") != std::string::npos);  // the plan was made, proven and run
  CHECK(q1(staged, "SELECT count(*) FROM users WHERE name = upper(name)") == "120");
  CHECK(q1(staged, "SELECT rows_done || '/' || batches FROM pgstage.backfills") == "120/3");
}

}  // namespace integration_apply_planned_test
