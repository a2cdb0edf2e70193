// Recipe fixes proven by `plan --verify` (the migration as written vs the plan through the executor,
// on the shared test cluster): type names quoted, type renames followed. Migrations in the shapes
// ORMs write them (Prisma quotes every name and converts through text).
#include <doctest/doctest.h>

#include "tests/integration/apply_support.h"

using namespace pgstage;
using namespace pgstage::test;

namespace {

// Plans dir/002.sql (history dir/001.sql) with --verify on the shared cluster; returns the result.
proc::Result plan_verified(const std::string& before, const std::string& migration) {
  MigrationDir d;
  d.write("001.sql", before);
  d.write("002.sql", migration);
  return run_pgstage({"plan", d.path() + "/002.sql", "--shadow-url", PgCluster::shared().url()});
}

void check_verified(const proc::Result& r) {
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Verification (verified") != std::string::npos);
}

}  // namespace

TEST_CASE("plan --verify: a mixed-case enum type (Prisma) and an array of it are quoted") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TYPE \"Status2\" AS ENUM ('draft', 'live');\n"
      "CREATE TABLE \"Post\" (\"id\" bigint PRIMARY KEY, \"status\" text NOT NULL, \"tags\" text[]);\n"
      "INSERT INTO \"Post\" VALUES (1, 'draft', '{draft}'), (2, 'live', '{live,draft}');\n",
      "ALTER TABLE \"Post\" ALTER COLUMN \"status\" TYPE \"Status2\" USING (\"status\"::text::\"Status2\");\n"
      "ALTER TABLE \"Post\" ALTER COLUMN \"tags\" TYPE \"Status2\"[] USING (\"tags\"::text[]::\"Status2\"[]);\n");
  check_verified(r);
  CHECK(r.out.find("\"status_pgstage_new\" \"Status2\"") != std::string::npos);
  CHECK(r.out.find("\"Status2\"[]") != std::string::npos);
}

TEST_CASE("plan --verify: a column rename after a type rename uses the type's new name") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
      "CREATE TABLE people (id bigint PRIMARY KEY, m mood);\n",
      "ALTER TYPE mood RENAME TO feeling;\n"
      "ALTER TABLE people RENAME COLUMN m TO f;\n");
  check_verified(r);
  CHECK(r.out.find("ADD COLUMN IF NOT EXISTS \"f\" \"feeling\"") != std::string::npos);
}

TEST_CASE("plan --verify: copied indexes keep DESC, WHERE, INCLUDE, the access method and the operator class") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, deleted boolean NOT NULL DEFAULT false, tags jsonb);\n"
      "CREATE UNIQUE INDEX accounts_email_live ON accounts (email DESC) WHERE email IS NOT NULL AND NOT deleted;\n"
      "CREATE INDEX accounts_email_inc ON accounts (email text_pattern_ops) INCLUDE (id);\n"
      "CREATE INDEX accounts_tags ON accounts USING gin (tags jsonb_path_ops);\n",
      "ALTER TABLE accounts RENAME COLUMN email TO mail;\n"
      "ALTER TABLE accounts RENAME COLUMN tags TO labels;\n");
  check_verified(r);
  CHECK(r.out.find("ON \"accounts\" (\"mail\" DESC) WHERE \"mail\" IS NOT NULL AND NOT deleted") != std::string::npos);
  CHECK(r.out.find("(\"mail\" \"text_pattern_ops\") INCLUDE (\"id\")") != std::string::npos);
  CHECK(r.out.find("USING \"gin\" (\"labels\" \"jsonb_path_ops\")") != std::string::npos);
}

TEST_CASE("plan --verify refuses a plan that loses a CHECK constraint (int -> bigint keeps no CHECK yet)") {
  // A recipe defect verification catches: changing-column-type does not carry the column's CHECK
  // over to the new column, so the plan ends without it. Refused (exit 1), the difference named.
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, CHECK (n >= 0));\n",
                         "ALTER TABLE counters ALTER COLUMN n TYPE bigint;\n");
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("constraint counters_n_check on counters: as written it exists (CHECK ((n >= 0))); after the "
                   "plan it is missing") != std::string::npos);
}
