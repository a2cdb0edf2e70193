// pgstage apply as a subprocess: a clean migration, checksums, --dry-run, concurrent applies,
// status and password redaction.
#include "tests/integration/apply_support.h"

namespace integration_apply_clean_test {

using namespace pgstage::test;

namespace {

// The URL with a password (the test cluster trusts local connections, so any password works).
std::string with_password(const std::string& url, const std::string& pw) {
  auto p = url.find("postgres@");
  return url.substr(0, p) + "postgres:" + pw + url.substr(p + 8);
}

void write_clean(const MigrationDir& d) {
  d.write("001_users.sql",
          "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a@b');\n");
  d.write("002_index.sql",
          "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n"
          "ALTER TABLE users ADD COLUMN last_seen timestamptz;\n");
}

}  // namespace

TEST_CASE("apply runs clean migrations as written, records them, and never shows the password") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = with_password(pg.fresh_database("clean"), "s3cretpw");
  MigrationDir d;
  write_clean(d);
  auto p = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v1"});
  INFO(p.out, p.err);
  REQUIRE(p.exit_code == 0);
  CHECK(p.out.find("applied: 2 as written") != std::string::npos);
  CHECK(q1(url, "SELECT count(*) FROM users") == "1");
  CHECK(q1(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass") == "t");
  CHECK(q1(url, "SELECT string_agg(name || '=' || status, ',' ORDER BY name) FROM pgstage.migrations") ==
        "001_users.sql=applied,002_index.sql=applied");
  CHECK(q1(url, "SELECT version FROM pgstage.schema_version") == "1");
  CHECK(q1(url, "SELECT count(*) FROM pgstage.steps WHERE migration = '002_index.sql' AND status = 'done'") == "2");

  auto again = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v2"});
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("nothing to apply") != std::string::npos);

  auto st = run_pgstage({"status", "--database-url", url, "--format", "json"});
  CHECK(st.exit_code == 0);
  CHECK(st.out.find("\"002_index.sql\"") != std::string::npos);

  // A bad URL: the error names the redacted URL.
  std::string bad = with_password(pg.url("no_such_db"), "s3cretpw");
  auto failed = run_pgstage({"apply", d.path(), "--database-url", bad, "--release", "v1"});
  CHECK(failed.exit_code == 1);
  CHECK(failed.err.find("***") != std::string::npos);
  for (auto* out : {&p.out, &p.err, &again.out, &again.err, &st.out, &failed.out, &failed.err})
    CHECK(out->find("s3cretpw") == std::string::npos);
  CHECK(q1(url,
           "SELECT count(*) FROM pgstage.steps WHERE sql LIKE '%s3cretpw%' OR coalesce(last_error, '') LIKE "
           "'%s3cretpw%'") == "0");
}

TEST_CASE("apply refuses a migration whose file changed since it was applied, naming the file") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("checksum");
  MigrationDir d;
  write_clean(d);
  REQUIRE(run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v1"}).exit_code == 0);
  d.write("001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text, extra int);\n");
  d.write("003_more.sql", "CREATE TABLE more (id int);\n");
  auto p = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v2"});
  CHECK(p.exit_code == 1);
  CHECK(p.err.find("001_users.sql") != std::string::npos);
  CHECK(p.err.find("changed since it was applied") != std::string::npos);
  CHECK(q1(url, "SELECT to_regclass('more') IS NULL") == "t");  // nothing else ran
}

TEST_CASE("apply --dry-run prints what would run and changes nothing") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("dry");
  MigrationDir d;
  write_clean(d);
  auto p = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v1", "--dry-run"});
  INFO(p.out, p.err);
  CHECK(p.exit_code == 0);
  CHECK(p.out.find("CREATE TABLE users") != std::string::npos);
  CHECK(p.out.find("CREATE INDEX CONCURRENTLY users_email_idx") != std::string::npos);
  CHECK(p.out.find("CREATE TABLE users") < p.out.find("CREATE INDEX CONCURRENTLY"));
  CHECK(q1(url, "SELECT to_regclass('users') IS NULL") == "t");
  CHECK(q1(url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgstage'") == "0");

  // After a real apply of 001 only, a dry run of the rest shows 002 alone and records nothing.
  MigrationDir first;
  first.write("001_users.sql", slurp(d.path() + "/001_users.sql"));
  REQUIRE(run_pgstage({"apply", first.path(), "--database-url", url, "--release", "v1"}).exit_code == 0);
  auto p2 = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v2", "--dry-run"});
  CHECK(p2.exit_code == 0);
  CHECK(p2.out.find("CREATE TABLE users") == std::string::npos);
  CHECK(p2.out.find("users_email_idx") != std::string::npos);
  CHECK(q1(url, "SELECT count(*) FROM pgstage.migrations") == "1");
  CHECK(q1(url, "SELECT count(*) FROM pgstage.releases WHERE name = 'v2'") == "0");
  CHECK(q1(url, "SELECT to_regclass('users_email_idx') IS NULL") == "t");
}

TEST_CASE("two applies never run at once: the second waits for the lock or gives up clearly") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("concurrent");
  MigrationDir d;
  d.write("001_slow.sql", "CREATE TABLE slow (id int);\nSELECT pg_sleep(3);\nINSERT INTO slow VALUES (1);\n");
  Started first = start_pgstage({"apply", d.path(), "--database-url", url, "--release", "v1"});
  // Wait until the first apply holds the pgstage lock (bounded).
  bool held = false;
  for (int i = 0; i < 200 && !held; ++i) {
    held = q1(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 1885827956") ==
           "1";
    if (!held) usleep(50 * 1000);
  }
  REQUIRE(held);
  auto quick = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v1", "--wait-lock", "0.5"});
  CHECK(quick.exit_code == 1);
  CHECK(quick.err.find("another pgstage apply is running") != std::string::npos);
  auto patient = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v1", "--wait-lock", "60"});
  auto done = first.finish();
  INFO(done.out, done.err, patient.out, patient.err);
  CHECK(done.exit_code == 0);
  CHECK(patient.exit_code == 0);
  CHECK(patient.out.find("nothing to apply") != std::string::npos);
  CHECK(q1(url, "SELECT count(*) FROM slow") == "1");  // ran once
}

}  // namespace integration_apply_clean_test
