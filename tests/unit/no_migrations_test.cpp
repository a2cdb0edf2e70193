// A directory in which no layout finds a migration is an input error (exit 2) naming the directory
// and the layouts tried, for every command that takes a directory: not "0 files" and exit 0.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "analyzer/no_migrations.h"
#include "tests/support/cli_run.h"

namespace unit_no_migrations_test {

using namespace pgstage;
using pgstage::test::run_pgstage;
using pgstage::test::TempDir;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("no migrations: the message names the directory and every layout tried") {
  std::string m = no_migrations_message("db/migrations", Layout::Auto);
  CHECK(m.starts_with("db/migrations: no migrations found"));
  for (auto l : {"plain", "golang-migrate", "flyway", "goose", "dbmate", "diesel", "prisma"}) {
    INFO(l);
    CHECK(has(m, l));
  }
  std::string f = no_migrations_message("db", Layout::Flyway, true);
  CHECK(has(f, "flyway (V<version>__NAME.sql"));
  CHECK_FALSE(has(f, "golang-migrate"));
  CHECK(has(f, "--exclude"));
}

TEST_CASE("no migrations: lint of an empty directory or one without SQL files exits 2") {
  TempDir d;
  fs::create_directories(d.path() + "/empty");
  d.write("docs/README.md", "# not a migration\n");
  d.write("docs/001_init.down.sql", "DROP TABLE t;\n");
  for (std::string dir : {d.path() + "/empty", d.path() + "/docs"}) {
    INFO(dir);
    auto r = run_pgstage({"lint", "--no-config", dir});
    CHECK(r.exit_code == 2);
    CHECK(has(r.err, dir + ": no migrations found"));
    CHECK(has(r.err, "layouts tried"));
    CHECK_FALSE(has(r.out, "0 files"));
    // The JSON report is still a document, and the error goes to stderr.
    auto j = run_pgstage({"lint", "--no-config", "--format", "json", dir});
    CHECK(j.exit_code == 2);
    CHECK(has(j.err, "no migrations found"));
  }
}

TEST_CASE("no migrations: an explicit layout that matches nothing names that layout") {
  TempDir d;
  d.write("m/001_init.sql", "CREATE TABLE t (id int);\n");
  auto r = run_pgstage({"lint", "--no-config", "--layout", "flyway", d.path() + "/m"});
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "/m: no migrations found (layout flyway"));
  // Excluding every file is the same error, and says the patterns were applied.
  auto e = run_pgstage({"lint", "--no-config", d.path() + "/m", "--exclude", "*.sql"});
  CHECK(e.exit_code == 2);
  CHECK(has(e.err, "after the --exclude patterns"));
  // The same directory with its real layout lints.
  auto ok = run_pgstage({"lint", "--no-config", d.path() + "/m"});
  CHECK(ok.exit_code == 0);
}

TEST_CASE("no migrations: lint --history, plan --history and apply refuse an empty directory") {
  TempDir d;
  fs::create_directories(d.path() + "/empty");
  std::string file = d.write("m/001_init.sql", "CREATE TABLE t (id int);\n");
  auto h = run_pgstage({"lint", "--no-config", file, "--history", d.path() + "/empty"});
  CHECK(h.exit_code == 2);
  CHECK(has(h.err, d.path() + "/empty: no migrations found"));

  auto p = run_pgstage({"plan", file, "--history", d.path() + "/empty"});
  CHECK(p.exit_code == 2);
  CHECK(has(p.err, d.path() + "/empty: no migrations found"));

  // apply stops before connecting: the directory is checked first (the URL's password never shows).
  auto a = run_pgstage({"apply", d.path() + "/empty", "--database-url", "postgresql://app:s3cret-pw@127.0.0.1:1/app",
                        "--release", "v1", "--migrations-only"});
  CHECK(a.exit_code == 2);
  CHECK(has(a.err, d.path() + "/empty: no migrations found"));
  CHECK_FALSE(has(a.err + a.out, "s3cret-pw"));
}

TEST_CASE("Flyway: lint skips V11_name.sql with a warning naming it, and lints nothing in it") {
  TempDir d;
  d.write("db/V1__init.sql", "CREATE TABLE t (id int);\n");
  d.write("db/V2_drop.sql", "DROP TABLE t;\n");
  d.write("db/V3__more.sql", "CREATE TABLE u (id int);\n");
  auto r = run_pgstage({"lint", "--no-config", d.path() + "/db"});
  CHECK(r.exit_code == 0);
  CHECK(has(r.err, "warning: " + d.path() + "/db/V2_drop.sql: Flyway ignores V2_drop.sql"));
  CHECK_FALSE(has(r.out, "dropping-table"));
  CHECK(has(r.out, "2 files"));
  // Named on the command line, in a Flyway directory: the same warning, nothing linted.
  auto f = run_pgstage({"lint", "--no-config", d.path() + "/db/V2_drop.sql"});
  CHECK(f.exit_code == 0);
  CHECK(has(f.err, "Flyway ignores V2_drop.sql"));
  CHECK_FALSE(has(f.out, "dropping-table"));
  // JSON stays a document on stdout; the warning goes to stderr.
  auto j = run_pgstage({"lint", "--no-config", "--format", "json", d.path() + "/db"});
  CHECK(j.exit_code == 0);
  CHECK(has(j.err, "Flyway ignores V2_drop.sql"));
  CHECK_FALSE(has(j.out, "Flyway ignores"));
}

}  // namespace unit_no_migrations_test
