// `pgstage baseline` on a real Postgres: adopting pgstage on a database whose migrations already
// ran. Baseline then apply runs only the later migrations; what the state already has is refused
// with nothing written; --up-to; --verify lists hand-made differences; apply on a populated
// database without pgstage state refuses and points at baseline; the password never shows.
#include "executor/sha256.h"
#include "tests/integration/apply_support.h"

namespace integration_baseline_test {

using namespace pgstage::test;

namespace {

std::string with_password(const std::string& url, const std::string& pw) {
  auto p = url.find("postgres@");
  return url.substr(0, p) + "postgres:" + pw + url.substr(p + 8);
}

const char* k001 = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a@b');\n";
const char* k002 =
    "CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
    "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), body text NOT NULL "
    "DEFAULT '', mood mood);\n"
    "CREATE INDEX CONCURRENTLY posts_user_idx ON posts (user_id);\n";
const char* k003 = "ALTER TABLE users ADD COLUMN last_seen timestamptz;\n";

void write_three(const MigrationDir& d) {
  d.write("001_users.sql", k001);
  d.write("002_posts.sql", k002);
  d.write("003_last_seen.sql", k003);
}

// The database as it is after 001 and 002 ran without pgstage (by another tool, or by hand).
void run_by_hand(const std::string& url) {
  exec(url, k001);
  exec(url, "CREATE TYPE mood AS ENUM ('ok', 'sad')");
  exec(url,
       "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), body text NOT "
       "NULL DEFAULT '', mood mood)");
  exec(url, "CREATE INDEX CONCURRENTLY posts_user_idx ON posts (user_id)");
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string state_rows(const std::string& url) {
  return q1(url,
            "SELECT string_agg(name || '=' || status || '@' || release, ',' ORDER BY name) FROM pgstage.migrations");
}

bool has_state(const std::string& url) {
  return q1(url, "SELECT to_regclass('pgstage.schema_version') IS NOT NULL") == "t";
}

}  // namespace

TEST_CASE("baseline then apply: only the later migrations run, with the checksums apply computes") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = with_password(pg.fresh_database("baseline"), "s3cretpw");
  MigrationDir d;
  write_three(d);
  run_by_hand(url);

  auto b = run_pgstage({"baseline", d.path(), "--database-url", url, "--up-to", "002_posts.sql"});
  INFO(b.out, b.err);
  REQUIRE(b.exit_code == 0);
  CHECK(has(b.out, "recorded 001_users.sql  sha256:"));
  CHECK(has(b.out,
            "baseline: 2 migrations recorded as applied (release baseline) without running them; "
            "`pgstage apply` runs the 1 after 002_posts.sql"));
  CHECK(state_rows(url) == "001_users.sql=applied@baseline,002_posts.sql=applied@baseline");
  CHECK(q1(url, "SELECT checksum FROM pgstage.migrations WHERE name = '002_posts.sql'") ==
        pgstage::executor::sha256_checksum(k002));
  CHECK(q1(url, "SELECT deployed_at IS NOT NULL FROM pgstage.releases WHERE name = 'baseline'") == "t");
  CHECK(q1(url, "SELECT count(*) FROM pgstage.steps") == "0");
  CHECK(q1(url, "SELECT count(*) FROM users") == "1");  // nothing ran

  // apply checks the recorded checksums against the files (a mismatch refuses) and runs only 003.
  auto a = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v2"});
  INFO(a.out, a.err);
  REQUIRE(a.exit_code == 0);
  CHECK(has(a.out, "apply 003_last_seen.sql"));
  CHECK_FALSE(has(a.out, "apply 001_users.sql"));
  CHECK_FALSE(has(a.out, "apply 002_posts.sql"));
  CHECK(has(a.out, "applied: 1 as written"));
  CHECK(q1(url, "SELECT count(*) FROM users") == "1");  // 001's INSERT did not run again
  CHECK(q1(url,
           "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = "
           "'last_seen'") == "1");
  CHECK(state_rows(url) ==
        "001_users.sql=applied@baseline,002_posts.sql=applied@baseline,003_last_seen.sql=applied@v2");
  for (auto* out : {&b.out, &b.err, &a.out, &a.err}) CHECK_FALSE(has(*out, "s3cretpw"));
}

TEST_CASE("baseline refuses migrations the state already has and writes nothing") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = with_password(pg.fresh_database("baseline_again"), "s3cretpw");
  MigrationDir d;
  write_three(d);
  run_by_hand(url);
  REQUIRE(run_pgstage({"baseline", d.path(), "--database-url", url, "--up-to", "001_users.sql"}).exit_code == 0);
  std::string before = state_rows(url);
  REQUIRE(before == "001_users.sql=applied@baseline");

  // All three: 001 is recorded already, so none is (002 and 003 are not recorded either).
  auto again = run_pgstage({"baseline", d.path(), "--database-url", url, "--release", "second"});
  INFO(again.out, again.err);
  CHECK(again.exit_code == 1);
  CHECK(has(again.err, "001_users.sql: already recorded in the pgstage state"));
  CHECK(has(again.err, "refused: 1 of the 3 migrations are already recorded; nothing was written"));
  CHECK(state_rows(url) == before);
  CHECK(q1(url, "SELECT count(*) FROM pgstage.releases WHERE name = 'second'") == "0");

  // What apply recorded is refused the same way.
  std::string applied = with_password(pg.fresh_database("baseline_applied"), "s3cretpw");
  MigrationDir one;
  one.write("001_users.sql", k001);
  REQUIRE(run_pgstage({"apply", one.path(), "--database-url", applied, "--release", "v1"}).exit_code == 0);
  auto b = run_pgstage({"baseline", one.path(), "--database-url", applied});
  CHECK(b.exit_code == 1);
  CHECK(has(b.err, "001_users.sql: already recorded"));
  CHECK(state_rows(applied) == "001_users.sql=applied@v1");
  for (auto* out : {&again.out, &again.err, &b.out, &b.err}) CHECK_FALSE(has(*out, "s3cretpw"));
}

TEST_CASE("baseline --up-to takes a name, a file name or a path, and refuses one that is not a migration") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  MigrationDir d;
  write_three(d);

  std::string by_path = pg.fresh_database("baseline_path");
  auto p = run_pgstage({"baseline", d.path(), "--database-url", by_path, "--up-to", d.path() + "/001_users.sql"});
  INFO(p.out, p.err);
  CHECK(p.exit_code == 0);
  CHECK(state_rows(by_path) == "001_users.sql=applied@baseline");

  std::string all = pg.fresh_database("baseline_all");
  auto a = run_pgstage({"baseline", d.path(), "--database-url", all});
  CHECK(a.exit_code == 0);
  CHECK(state_rows(all) ==
        "001_users.sql=applied@baseline,002_posts.sql=applied@baseline,003_last_seen.sql=applied@baseline");
  CHECK(has(a.out, "baseline: 3 migrations recorded"));

  std::string none = with_password(pg.fresh_database("baseline_none"), "s3cretpw");
  auto bad = run_pgstage({"baseline", d.path(), "--database-url", none, "--up-to", "004_nope.sql"});
  CHECK(bad.exit_code == 2);
  CHECK(has(bad.err,
            "--up-to 004_nope.sql: not a migration of this directory (its migrations run from 001_users.sql to "
            "003_last_seen.sql)"));
  CHECK_FALSE(has_state(none));  // nothing written, not even the state schema

  // --dry-run lists what it would record and writes nothing.
  auto dry = run_pgstage({"baseline", d.path(), "--database-url", none, "--up-to", "002_posts.sql", "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(has(dry.out, "would record 002_posts.sql  sha256:"));
  CHECK_FALSE(has(dry.out, "003_last_seen.sql"));
  CHECK_FALSE(has_state(none));

  // An empty directory is a usage error naming the layouts tried.
  MigrationDir empty;
  auto e = run_pgstage({"baseline", empty.path(), "--database-url", none});
  CHECK(e.exit_code == 2);
  CHECK(has(e.err, "no migrations found (layouts tried:"));
  // A database that does not exist: the error shows the URL with its password masked.
  std::string missing = with_password(pg.url("no_such_db"), "s3cretpw");
  auto gone = run_pgstage({"baseline", d.path(), "--database-url", missing});
  CHECK(gone.exit_code == 1);
  CHECK(has(gone.err, "***"));
  CHECK(has(gone.err, "no_such_db"));
  for (auto* out : {&bad.out, &bad.err, &dry.out, &e.err, &gone.out, &gone.err}) CHECK_FALSE(has(*out, "s3cretpw"));
}

TEST_CASE("baseline --verify: a matching schema is recorded; a hand-made ALTER is listed and nothing is recorded") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  MigrationDir d;
  write_three(d);

  std::string same = pg.fresh_database("verify_same");
  run_by_hand(same);
  auto ok = run_pgstage({"baseline", d.path(), "--database-url", same, "--up-to", "002_posts.sql", "--verify"});
  INFO(ok.out, ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(has(ok.out,
            "verify: the database's schema matches 001_users.sql .. 002_posts.sql replayed on a temporary "
            "cluster (2 tables, 3 indexes compared)"));
  CHECK(state_rows(same) == "001_users.sql=applied@baseline,002_posts.sql=applied@baseline");

  std::string drifted = with_password(pg.fresh_database("verify_drift"), "s3cretpw");
  run_by_hand(drifted);
  exec(drifted, "ALTER TABLE users ALTER COLUMN email SET NOT NULL");
  exec(drifted, "ALTER TABLE users ADD COLUMN nickname varchar(20) DEFAULT 'x'");
  exec(drifted, "ALTER TABLE posts ALTER COLUMN body DROP DEFAULT");
  exec(drifted, "ALTER TABLE posts ALTER COLUMN mood TYPE text");
  exec(drifted, "DROP INDEX posts_user_idx");
  exec(drifted, "CREATE UNIQUE INDEX users_email_key ON users (email)");
  exec(drifted, "ALTER TABLE posts ADD CONSTRAINT body_short CHECK (length(body) < 1000)");
  exec(drifted, "ALTER TYPE mood ADD VALUE 'happy'");
  exec(drifted, "CREATE TABLE audit (id int)");
  auto bad = run_pgstage({"baseline", d.path(), "--database-url", drifted, "--up-to", "002_posts.sql", "--verify"});
  INFO(bad.out, bad.err);
  CHECK(bad.exit_code == 1);
  CHECK(has(bad.out,
            "verify: the database's schema differs from 001_users.sql .. 002_posts.sql replayed on a "
            "temporary cluster (9 differences):"));
  for (auto line : {
           "  table audit: in the database, not created by the migrations",
           "  column users.email: NOT NULL in the database, nullable in the migrations",
           "  column users.nickname: in the database, not created by the migrations",
           "  column posts.body: no default in the database, default ''::text in the migrations",
           "  column posts.mood: type text in the database, mood in the migrations",
           "  constraint body_short on posts: in the database (CHECK (length(body) < 1000)), not created by the "
           "migrations",
           "  index posts_user_idx: created by the migrations (on posts (user_id)), missing from the database",
           "  index users_email_key: in the database (UNIQUE on users (email)), not created by the migrations",
           "  type mood: values (ok, sad, happy) in the database, (ok, sad) in the migrations",
       }) {
    INFO(line);
    CHECK(has(bad.out, line));
  }
  CHECK(has(bad.err, "nothing was recorded"));
  CHECK_FALSE(has_state(drifted));
  CHECK_FALSE(has(bad.out + bad.err, "s3cretpw"));
}

TEST_CASE("apply on a populated database without pgstage state refuses and points at baseline") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  MigrationDir d;
  write_three(d);
  std::string url = with_password(pg.fresh_database("unbaselined"), "s3cretpw");
  run_by_hand(url);

  auto a = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v1"});
  INFO(a.out, a.err);
  CHECK(a.exit_code == 1);
  CHECK(has(a.err,
            "this database has no pgstage state, but what its migrations create is already there "
            "(001_users.sql creates table users; 002_posts.sql creates type mood; 002_posts.sql creates table "
            "posts; and 1 more)"));
  CHECK(has(a.err, "pgstage baseline " + d.path() + " --database-url URL --up-to LAST_APPLIED_FILE"));
  // Nothing written: no state schema, 003 did not run, the data is as it was.
  CHECK_FALSE(has_state(url));
  CHECK(q1(url, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'last_seen'") == "0");
  CHECK(q1(url, "SELECT count(*) FROM users") == "1");
  auto dry = run_pgstage({"apply", d.path(), "--database-url", url, "--release", "v1", "--dry-run"});
  CHECK(dry.exit_code == 1);
  CHECK(has(dry.err, "pgstage baseline"));
  CHECK_FALSE(has(a.out + a.err + dry.out + dry.err, "s3cretpw"));

  // Tables the migrations do not create are no reason to refuse.
  std::string other = pg.fresh_database("unrelated");
  exec(other, "CREATE TABLE legacy (id int)");
  auto o = run_pgstage({"apply", d.path(), "--database-url", other, "--release", "v1"});
  INFO(o.out, o.err);
  CHECK(o.exit_code == 0);
  CHECK(has(o.out, "applied: 3 as written"));
}

TEST_CASE("baseline killed half-way through recording leaves the database as it was") {
  auto& pg = PgCluster::shared();
  REQUIRE(pg.ok());
  MigrationDir d;
  write_three(d);
  std::string url = pg.fresh_database("baseline_killed");
  run_by_hand(url);
  auto killed =
      run_pgstage({"baseline", d.path(), "--database-url", url}, {.env = {{"PGSTAGE_FAULT", "baseline-record:2"}}});
  CHECK(killed.signal == SIGKILL);
  CHECK_FALSE(has_state(url));  // the state schema was created in the same transaction: rolled back too
  auto b = run_pgstage({"baseline", d.path(), "--database-url", url, "--up-to", "002_posts.sql"});
  CHECK(b.exit_code == 0);
  CHECK(state_rows(url) == "001_users.sql=applied@baseline,002_posts.sql=applied@baseline");
}

}  // namespace integration_baseline_test
