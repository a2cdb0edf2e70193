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
