// Source files: migration ordering per layout, up sections, transaction markers, positions.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "analyzer/parse.h"
#include "analyzer/source.h"
#include "tests/support/cli_run.h"

namespace unit_source_test {

using namespace pgstage;
namespace fs = std::filesystem;

namespace {

using test::TempDir;

std::vector<std::string> names(const std::vector<MigrationEntry>& entries, const fs::path& base) {
  std::vector<std::string> out;
  for (auto& e : entries) out.push_back(fs::relative(e.path, base).string());
  return out;
}

std::vector<std::string> list(const TempDir& d, Layout layout = Layout::Auto) {
  std::vector<MigrationEntry> entries;
  std::string err;
  REQUIRE_MESSAGE(list_migrations(d.path(), layout, {}, entries, err), err);
  return names(entries, fs::path(d.path()));
}

std::vector<std::string> statement_texts(const SourceFile& f) {
  std::vector<std::string> out;
  for (auto& st : parse_source(f).statements) out.push_back(st.text(f));
  return out;
}

}  // namespace

TEST_CASE("numeric prefixes sort numerically, not as strings") {
  TempDir d;
  for (auto n : {"10_add_index.sql", "2_add_column.sql", "1_create.sql", "100_drop.sql", "0003_rename.sql"})
    d.write(n, "SELECT 1;\n");
  CHECK(list(d) == std::vector<std::string>{"1_create.sql", "2_add_column.sql", "0003_rename.sql", "10_add_index.sql",
                                            "100_drop.sql"});
}

TEST_CASE("golang-migrate: .up.sql in order, .down.sql skipped") {
  TempDir d;
  d.write("000002_b.up.sql", "SELECT 1;\n");
  d.write("000002_b.down.sql", "SELECT 1;\n");
  d.write("000001_a.up.sql", "SELECT 1;\n");
  d.write("000001_a.down.sql", "SELECT 1;\n");
  CHECK(detect_layout(d.path()) == Layout::GolangMigrate);
  CHECK(list(d) == std::vector<std::string>{"000001_a.up.sql", "000002_b.up.sql"});
}

TEST_CASE("Flyway: versioned then repeatable; undo (U) files skipped") {
  TempDir d;
  d.write("V10__later.sql", "SELECT 1;\n");
  d.write("V2__second.sql", "SELECT 1;\n");
  d.write("V1__init.sql", "SELECT 1;\n");
  d.write("U2__undo_second.sql", "SELECT 1;\n");
  d.write("R__views.sql", "SELECT 1;\n");
  CHECK(detect_layout(d.path()) == Layout::Flyway);
  CHECK(list(d) == std::vector<std::string>{"V1__init.sql", "V2__second.sql", "V10__later.sql", "R__views.sql"});
}

TEST_CASE("Flyway: versions compare part by part (13 before 13.1, 1_2 is 1.2)") {
  TempDir d;
  d.write("V13.1__b.sql", "SELECT 1;\n");
  d.write("V13__a.sql", "SELECT 1;\n");
  d.write("V1_2__c.sql", "SELECT 1;\n");
  d.write("V1_10__d.sql", "SELECT 1;\n");
  d.write("V2__e.sql", "SELECT 1;\n");
  CHECK(list(d, Layout::Flyway) ==
        std::vector<std::string>{"V1_2__c.sql", "V1_10__d.sql", "V2__e.sql", "V13__a.sql", "V13.1__b.sql"});
}

TEST_CASE("Diesel and Prisma: one folder per migration") {
  SUBCASE("diesel up.sql, down.sql skipped") {
    TempDir d;
    d.write("2023-01-02-000000_second/up.sql", "SELECT 1;\n");
    d.write("2023-01-02-000000_second/down.sql", "SELECT 1;\n");
    d.write("2023-01-01-000000_first/up.sql", "SELECT 1;\n");
    d.write("2023-01-01-000000_first/down.sql", "SELECT 1;\n");
    CHECK(detect_layout(d.path()) == Layout::Diesel);
    CHECK(list(d) == std::vector<std::string>{"2023-01-01-000000_first/up.sql", "2023-01-02-000000_second/up.sql"});
  }
  SUBCASE("prisma migration.sql") {
    TempDir d;
    d.write("20240102000000_b/migration.sql", "SELECT 1;\n");
    d.write("20240101000000_a/migration.sql", "SELECT 1;\n");
    d.write("migration_lock.toml", "provider = \"postgresql\"\n");
    CHECK(detect_layout(d.path()) == Layout::Prisma);
    CHECK(list(d) == std::vector<std::string>{"20240101000000_a/migration.sql", "20240102000000_b/migration.sql"});
  }
}

TEST_CASE("plain directories skip down files and non-SQL files") {
  TempDir d;
  d.write("001_a.sql", "SELECT 1;\n");
  d.write("001_a_down.sql", "SELECT 1;\n");
  d.write("README.md", "# notes\n");
  CHECK(list(d) == std::vector<std::string>{"001_a.sql"});
}

TEST_CASE("exclude patterns") {
  TempDir d;
  d.write("001_a.sql", "SELECT 1;\n");
  d.write("002_seed.sql", "SELECT 1;\n");
  std::vector<MigrationEntry> entries;
  std::string err;
  REQUIRE(list_migrations(d.path(), Layout::Auto, {"*seed*"}, entries, err));
  CHECK(names(entries, fs::path(d.path())) == std::vector<std::string>{"001_a.sql"});
}

TEST_CASE("an unreadable directory is an error naming it") {
  std::vector<MigrationEntry> entries;
  std::string err;
  CHECK_FALSE(list_migrations("/nonexistent/pgstage-dir", Layout::Auto, {}, entries, err));
  CHECK(err.find("/nonexistent/pgstage-dir") != std::string::npos);
  SourceFile f;
  CHECK_FALSE(read_source("/nonexistent/pgstage.sql", Layout::Auto, f, err));
  CHECK(err.find("/nonexistent/pgstage.sql") != std::string::npos);
}

TEST_CASE("goose: only the Up section, StatementBegin/End, NO TRANSACTION") {
  std::string text =
      "-- +goose Up\n"
      "CREATE TABLE a (id int);\n"
      "-- +goose StatementBegin\n"
      "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN NEW;\nEND;\n$$;\n"
      "-- +goose StatementEnd\n"
      "-- +goose Down\n"
      "DROP TABLE a;\n";
  SourceFile f = make_source("g.sql", text);
  CHECK(f.layout == Layout::Goose);
  CHECK(f.layout_wraps);
  CHECK_FALSE(f.no_transaction_marker);
  auto st = statement_texts(f);
  REQUIRE(st.size() == 2);
  CHECK(st[0] == "CREATE TABLE a (id int)");
  CHECK(st[1].rfind("CREATE FUNCTION f()", 0) == 0);
  CHECK(st[1].find("RETURN NEW;") != std::string::npos);
  for (auto& s : st) CHECK(s.find("DROP TABLE") == std::string::npos);

  SourceFile nt =
      make_source("n.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON a (id);\n");
  CHECK(nt.no_transaction_marker);
}

TEST_CASE("dbmate: up section only, transaction:false") {
  SourceFile f = make_source(
      "d.sql", "-- migrate:up\nALTER TABLE a ADD COLUMN b int;\n\n-- migrate:down\nALTER TABLE a DROP COLUMN b;\n");
  CHECK(f.layout == Layout::Dbmate);
  auto st = statement_texts(f);
  REQUIRE(st.size() == 1);
  CHECK(st[0] == "ALTER TABLE a ADD COLUMN b int");
  SourceFile nt = make_source("d.sql", "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON a (b);\n");
  CHECK(nt.no_transaction_marker);
}

TEST_CASE("statement splitting respects quotes, dollar quotes and comments") {
  SourceFile f = make_source("s.sql",
                             "INSERT INTO t VALUES ('a;b'); -- trailing; comment\n"
                             "/* block; /* nested; */ */ SELECT \"x;y\" FROM t;\n"
                             "DO $body$ BEGIN PERFORM 1; END $body$;\n"
                             "SELECT E'it\\'s;';");
  auto st = statement_texts(f);
  REQUIRE(st.size() == 4);
  CHECK(st[0] == "INSERT INTO t VALUES ('a;b')");
  CHECK(st[1] == "SELECT \"x;y\" FROM t");
  CHECK(st[2] == "DO $body$ BEGIN PERFORM 1; END $body$");
  CHECK(st[3] == "SELECT E'it\\'s;'");
}

TEST_CASE("positions: 1-based lines, UTF-8 columns count characters, CRLF is one break") {
  SourceFile f = make_source("p.sql", "-- é\r\nALTER TABLE \"héllo\" ADD COLUMN x int;\r\nSELECT 1;");
  CHECK(f.position(0).line == 1);
  CHECK(f.position(0).column == 1);
  size_t second = f.text.find("ALTER");
  CHECK(f.position(second).line == 2);
  CHECK(f.position(second).column == 1);
  size_t add = f.text.find("ADD");
  // `ALTER TABLE "héllo" ` is 20 characters but 21 bytes.
  CHECK(f.position(add).column == 21);
  size_t sel = f.text.find("SELECT");
  CHECK(f.position(sel).line == 3);
  CHECK(f.position(sel).column == 1);
  CHECK(f.line_text(2) == "ALTER TABLE \"héllo\" ADD COLUMN x int;");
  auto st = parse_source(f).statements;
  REQUIRE(st.size() == 2);
  CHECK(f.position(st[1].begin).line == 3);
}

TEST_CASE("diesel: metadata.toml with run_in_transaction = false runs the migration outside a transaction") {
  TempDir d;
  std::string off = d.write("2024-01-01-000000_idx/up.sql", "CREATE INDEX CONCURRENTLY i ON t (c);\n");
  d.write("2024-01-01-000000_idx/metadata.toml", "run_in_transaction = false\n");
  std::string on = d.write("2024-01-02-000000_col/up.sql", "ALTER TABLE t ADD COLUMN c int;\n");
  std::string bad = d.write("2024-01-03-000000_bad/up.sql", "SELECT 1;\n");
  d.write("2024-01-03-000000_bad/metadata.toml", "run_in_transaction = \n");
  SourceFile f;
  std::string err;
  REQUIRE_MESSAGE(read_source(off, Layout::Diesel, f, err), err);
  CHECK(f.layout_wraps);
  CHECK(f.no_transaction_marker);
  REQUIRE_MESSAGE(read_source(on, Layout::Diesel, f, err), err);
  CHECK(f.layout_wraps);
  CHECK_FALSE(f.no_transaction_marker);
  // A metadata.toml that is not TOML is an error naming the file, line and column, not a guess.
  CHECK_FALSE(read_source(bad, Layout::Diesel, f, err));
  CHECK(err.find("2024-01-03-000000_bad/metadata.toml:1:") != std::string::npos);
}

TEST_CASE("golang-migrate and Prisma files are sent as one query") {
  for (Layout l : {Layout::GolangMigrate, Layout::Prisma}) {
    auto f = make_source("m.sql", "SELECT 1;\n", l);
    CHECK(f.sent_as_one_query);
    CHECK_FALSE(f.layout_wraps);
  }
  CHECK_FALSE(make_source("m.sql", "SELECT 1;\n", Layout::Plain).sent_as_one_query);
}

TEST_CASE("Flyway: a script without `__` (V11_name.sql, R_views.sql) is ignored, as Flyway ignores it") {
  TempDir d;
  d.write("V1__init.sql", "CREATE TABLE t (id int);\n");
  d.write("V11_add_index.sql", "CREATE INDEX t_id ON t (id);\n");
  d.write("V12__later.sql", "SELECT 1;\n");
  d.write("R_views.sql", "SELECT 1;\n");
  d.write("afterMigrate.sql", "SELECT 1;\n");  // a callback: not a migration, no warning
  CHECK(detect_layout(d.path()) == Layout::Flyway);
  std::vector<MigrationEntry> entries;
  std::vector<IgnoredMigration> ignored;
  std::string err;
  REQUIRE(list_migrations(d.path(), Layout::Auto, {}, entries, err, &ignored));
  CHECK(names(entries, fs::path(d.path())) == std::vector<std::string>{"V1__init.sql", "V12__later.sql"});
  REQUIRE(ignored.size() == 2);
  std::sort(ignored.begin(), ignored.end(), [](auto& a, auto& b) { return a.path < b.path; });
  CHECK(fs::path(ignored[0].path).filename() == "R_views.sql");
  CHECK(ignored[0].reason.find("R__<description>.sql") != std::string::npos);
  CHECK(fs::path(ignored[1].path).filename() == "V11_add_index.sql");
  CHECK(ignored[1].reason.find("Flyway ignores V11_add_index.sql") != std::string::npos);
  CHECK(ignored[1].reason.find("V<version>__<description>.sql") != std::string::npos);
  // Other layouts keep such names (a plain layout runs every .sql file).
  CHECK(flyway_ignored_reason("V1__init.sql").empty());
  CHECK(flyway_ignored_reason("001_init.sql").empty());
  CHECK(!flyway_ignored_reason("V2.sql").empty());
}

TEST_CASE("other runners' per-file opt-outs: postgres-migrations, sqlx, Flyway's .conf") {
  auto plain = [](const std::string& text) { return make_source("m.sql", text, Layout::Plain); };
  CHECK(plain("-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n")
            .no_transaction_marker);
  CHECK(plain("-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n").no_transaction_marker);
  CHECK(plain("-- no-transaction \r\nSELECT 1;\n").no_transaction_marker);
  // sqlx reads only the first line; a comment that merely mentions it is not the directive.
  CHECK_FALSE(plain("SELECT 1;\n-- no-transaction\n").no_transaction_marker);
  CHECK_FALSE(plain("-- no-transactional work here\nSELECT 1;\n").no_transaction_marker);
  CHECK_FALSE(plain("CREATE INDEX i ON t (c);\n").no_transaction_marker);

  TempDir d;
  std::string off = d.write("V2__idx.sql", "CREATE INDEX CONCURRENTLY i ON t (c);\n");
  d.write("V2__idx.sql.conf", "# Flyway per-script config\nexecuteInTransaction = false\n");
  std::string on = d.write("V3__col.sql", "ALTER TABLE t ADD COLUMN c int;\n");
  d.write("V3__col.sql.conf", "executeInTransaction=true\n");
  SourceFile f;
  std::string err;
  REQUIRE_MESSAGE(read_source(off, Layout::Flyway, f, err), err);
  CHECK(f.no_transaction_marker);
  REQUIRE_MESSAGE(read_source(on, Layout::Flyway, f, err), err);
  CHECK_FALSE(f.no_transaction_marker);
}

}  // namespace unit_source_test
