#include <doctest/doctest.h>

#include "executor/backfill.h"
#include "db/redact.h"
#include "executor/runner.h"
#include "executor/sha256.h"

namespace unit_executor_test {

using namespace pgstage;
using namespace pgstage::executor;

TEST_CASE("redact_url hides the password in URL and key=value forms") {
  CHECK(db::redact_url("postgresql://app:hunter2@db:5432/prod") == "postgresql://app:***@db:5432/prod");
  CHECK(db::redact_url("postgres://app@db/prod?password=hunter2&sslmode=require") ==
        "postgres://app@db/prod?password=***&sslmode=require");
  CHECK(db::redact_url("host=db user=app password=hunter2 dbname=prod") == "host=db user=app password=*** dbname=prod");
  CHECK(db::redact_url("postgresql://app@db/prod") == "postgresql://app@db/prod");
  CHECK(db::redact_secrets("connection to db failed for app:hunter2", "postgresql://app:hunter2@db/x") ==
        "connection to db failed for app:***");
}

TEST_CASE("sha256_checksum matches the FIPS 180-2 test vectors") {
  CHECK(sha256_checksum("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_checksum("") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_checksum("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("backfill batches are keyset ranges by primary key, never OFFSET") {
  planner::BackfillSpec spec{
      {"app", "Orders"}, {"tenant", "id"}, "\"total_cents\" = \"total\" * 100", "\"total_cents\" IS NULL", 500};
  std::string bound = bound_sql_for(spec, {}, 500);
  CHECK(
      bound ==
      "SELECT batch.\"tenant\"::text, batch.\"id\"::text FROM (SELECT \"tenant\", \"id\" FROM \"app\".\"Orders\" WHERE "
      "(\"total_cents\" IS NULL) ORDER BY \"tenant\", \"id\" LIMIT 500) AS batch ORDER BY batch.\"tenant\" DESC, "
      "batch.\"id\" DESC LIMIT 1");
  std::string update = update_sql_for(spec, {"7", "it's"}, {"7", "z"});
  CHECK(update ==
        "UPDATE \"app\".\"Orders\" SET \"total_cents\" = \"total\" * 100 WHERE (\"tenant\", \"id\") > ('7', 'it''s') "
        "AND (\"tenant\", \"id\") <= ('7', 'z') AND (\"total_cents\" IS NULL)");
  CHECK(bound.find("OFFSET") == std::string::npos);
}

TEST_CASE("concurrent_index_name finds the index a CONCURRENTLY build creates") {
  CHECK(concurrent_index_name("CREATE INDEX CONCURRENTLY users_email_idx ON users (email)") == "\"users_email_idx\"");
  CHECK(concurrent_index_name("CREATE UNIQUE INDEX CONCURRENTLY \"Ix\" ON app.t (a)") == "\"app\".\"Ix\"");
  CHECK(concurrent_index_name("CREATE INDEX CONCURRENTLY ON t (a)") == "");
  CHECK(concurrent_index_name("CREATE INDEX i ON t (a)") == "");
}

TEST_CASE("the dry-run runner prints each step's SQL and its timeouts, and writes nothing") {
  std::vector<std::string> lines;
  Output out([&](const std::string& l) { lines.push_back(l); }, "postgresql://u:pw@h/d", false);
  ExecSettings st;
  DryRunStepRunner runner(st, out);
  ExecStep s;
  s.migration = "002.sql";
  s.id = "expand-1-add-column";
  s.kind = "add-column";
  s.sql = "ALTER TABLE \"t\" ADD COLUMN \"c\" text";
  CHECK(runner.run_step(s, false).ok);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("lock_timeout 2000ms") != std::string::npos);
  CHECK(lines[1] == "ALTER TABLE \"t\" ADD COLUMN \"c\" text;");
  ExecStep b;
  b.migration = "002.sql";
  b.id = "backfill-2";
  b.phase = planner::Phase::Backfill;
  b.kind = "backfill";
  b.backfill = planner::BackfillSpec{{"", "t"}, {"id"}, "\"c\" = 'x'", "\"c\" IS NULL", 1000};
  CHECK(runner.run_backfill(b, nullptr).ok);
  CHECK(lines.back().rfind("UPDATE \"t\" SET \"c\" = 'x'", 0) == 0);
}

}  // namespace unit_executor_test
