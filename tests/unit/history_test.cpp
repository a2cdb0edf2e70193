// "The migrations before this file" (analyzer/history.h), the one walker lint, lint --since and
// trace share.
#include <doctest/doctest.h>

#include "analyzer/history.h"
#include "tests/support/cli_run.h"

namespace unit_history_test {

using namespace pgstage;

TEST_CASE("the migration directory of a file; Diesel and Prisma keep each migration in a folder") {
  CHECK(migration_directory("db/migrations/002_users.sql") == "db/migrations");
  CHECK(migration_directory("002_users.sql") == ".");
  CHECK(migration_directory("migrations/2024-01-01-000000_users/up.sql") == "migrations");
  CHECK(migration_directory("prisma/migrations/20240101_users/migration.sql") == "prisma/migrations");
  CHECK(migration_directory("20240101_users/migration.sql") == ".");
}

TEST_CASE("migrations before a file, in order, for flat and per-folder layouts") {
  test::TempDir d;
  d.write("flat/001_a.sql", "CREATE TABLE a (id int);\n");
  d.write("flat/002_b.sql", "CREATE TABLE b (id int);\n");
  std::string third = d.write("flat/003_c.sql", "CREATE TABLE c (id int);\n");
  auto flat = migrations_before(third, canonical_path(third), Layout::Auto, {});
  CHECK(flat.found);
  REQUIRE(flat.before.size() == 2);
  CHECK(flat.before[0].path.find("001_a.sql") != std::string::npos);
  CHECK(flat.before[1].path.find("002_b.sql") != std::string::npos);
  CHECK(flat.canonical[1] == canonical_path(flat.before[1].path));

  d.write("prisma/20240101_a/migration.sql", "CREATE TABLE a (id int);\n");
  std::string second = d.write("prisma/20240202_b/migration.sql", "CREATE TABLE b (id int);\n");
  auto prisma = migrations_before(second, canonical_path(second), Layout::Auto, {});
  CHECK(prisma.found);
  REQUIRE(prisma.before.size() == 1);
  CHECK(prisma.before[0].path.find("20240101_a") != std::string::npos);

  std::string stray = d.write("elsewhere.txt", "x");
  CHECK_FALSE(migrations_before(stray, canonical_path(stray), Layout::Auto, {}).found);
}

}  // namespace unit_history_test
