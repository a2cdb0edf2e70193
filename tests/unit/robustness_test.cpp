// Hostile inputs give a clean error or a clean result, never a crash or a hang. Where the exit
// code matters the built binary (PGSTAGE_BINARY) runs in a child process with a hang guard.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/parse.h"
#include "tests/support/cli_run.h"
#include "tests/support/lint_helpers.h"

namespace unit_robustness_test {

namespace fs = std::filesystem;
using namespace pgstage;

namespace {

using test::run_pgstage;
using test::TempDir;

// Lints one file with the binary in JSON format; checks it ended normally with valid JSON.
nlohmann::json lint_json(const fs::path& file, int expect_exit) {
  auto r = run_pgstage({"lint", "--no-history", "--format", "json", file.string()});
  INFO("stderr: " << r.err.substr(0, 500));
  REQUIRE_FALSE(r.timed_out);
  REQUIRE(r.signal == 0);
  CHECK(r.exit_code == expect_exit);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

int syntax_errors(const LintResult& r) {
  int n = 0;
  for (auto& s : r.statements) n += s.syntax_error ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("robustness: empty file and a file of only comments lint clean") {
  TempDir d;
  auto j = lint_json(d.write("empty.sql", ""), 0);
  CHECK(j["summary"]["statements"] == 0);
  j = lint_json(d.write("comments.sql", "-- nothing here\n/* nor /* nested */ here */\n-- end"), 0);
  CHECK(j["summary"]["statements"] == 0);
}

TEST_CASE("robustness: binary garbage is a syntax error, not a crash") {
  TempDir d;
  std::string junk;
  uint32_t x = 12345;
  for (int i = 0; i < 200000; ++i) {
    x = x * 1103515245u + 12345u;
    junk += char(x >> 24);
  }
  auto j = lint_json(d.write("garbage.sql", junk), 1);
  CHECK(j["summary"]["errors"].get<int>() >= 1);
}

TEST_CASE("robustness: invalid UTF-8 still gives valid JSON and positions") {
  TempDir d;
  std::string sql =
      "SELECT 1;\n\xff\xfe\xc3\x28 ALTER TABLE t ADD COLUMN \xe2\x82 int;\nALTER TABLE \"\xc3\" ADD COLUMN c int;\n";
  auto j = lint_json(d.write("bad-utf8.sql", sql), 1);
  CHECK(j["summary"]["statements"].get<int>() >= 2);
  auto r = test::lint_text(sql);
  CHECK(syntax_errors(r) >= 1);
}

TEST_CASE("robustness: a 50 MB file is refused with a clear error naming it") {
  TempDir d;
  fs::path p = fs::path(d.path()) / "huge.sql";
  {
    std::ofstream o(p, std::ios::binary);
    std::string line = "ALTER TABLE big ADD COLUMN c int;\n";
    std::string block;
    for (int i = 0; i < 1000; ++i) block += line;
    while (size_t(o.tellp()) < 50u * 1024 * 1024) o << block;
  }
  auto r = run_pgstage({"lint", "--no-history", p.string()});
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("huge.sql") != std::string::npos);
  CHECK(r.err.find("MiB") != std::string::npos);
}

TEST_CASE("robustness: 10,000 statements in one file") {
  std::string sql;
  for (int i = 0; i < 10000; ++i)
    sql += "ALTER TABLE t" + std::to_string(i % 50) + " ADD COLUMN c" + std::to_string(i) + " int;\n";
  auto r = test::lint_text(sql);
  CHECK(r.statements.size() == 10000);
  CHECK(syntax_errors(r) == 0);
  // A section above the chunk size (256 KiB) with one bad statement in the middle.
  std::string big;
  for (int i = 0; i < 12000; ++i)
    big += (i == 6000 ? "ALTER TABLE t ADD COLUMN;\n" : sql.substr(0, sql.find('\n') + 1));
  auto r2 = test::lint_text(big);
  CHECK(r2.statements.size() == 12000);
  CHECK(syntax_errors(r2) == 1);
}

TEST_CASE("robustness: deeply nested expressions hit the parser's limit cleanly") {
  TempDir d;
  std::string deep = "SELECT " + std::string(100000, '(') + "1" + std::string(100000, ')') + ";\n";
  auto j = lint_json(d.write("parens.sql", deep), 1);
  CHECK(j["summary"]["errors"].get<int>() >= 1);
  // Just under the parser's limit: the tree is deep, and lowering and rendering must cope.
  std::string expr = "1";
  for (int i = 0; i < 3000; ++i) expr = "(1+" + expr + ")";
  std::string sql = "ALTER TABLE t ADD COLUMN c int DEFAULT " + expr + ";\nSELECT " + std::string(4000 * 4, ' ');
  for (int i = 0; i < 4000; ++i) sql += "NOT ";
  sql += "true;\n";
  auto r = test::lint_text(sql);
  CHECK(r.statements.size() == 2);
  lint_json(d.write("deep-ok.sql", sql), r.fails(Severity::Error) ? 1 : 0);
}

TEST_CASE("robustness: unterminated dollar quotes and comments are syntax errors") {
  for (std::string sql : {"DO $$ BEGIN RAISE NOTICE 'x';\n", "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1;",
                          "SELECT 1;\n/* never closed\n", "SELECT 1 /* never closed", "SELECT 'open string;\n",
                          "ALTER TABLE \"open ident ADD COLUMN c int;"}) {
    INFO(sql);
    auto r = test::lint_text(sql);
    CHECK(syntax_errors(r) >= 1);
  }
}

TEST_CASE("robustness: templating placeholders are reported, not crashed on") {
  for (std::string sql :
       {"CREATE TABLE $%NAME%$ (id int);\nSELECT $%VAR%$;\n", "ALTER TABLE {{table}} ADD COLUMN c int;",
        "CREATE TABLE ${schema}.t (id int);", "SELECT $1, $%, $$;"}) {
    INFO(sql);
    auto r = test::lint_text(sql);
    CHECK(syntax_errors(r) >= 1);
  }
}

TEST_CASE("robustness: a directory with unreadable entries names each one and lints the rest") {
  // Tests run as root, and chmod 000 does not stop root from reading. Entries that no one can read
  // as a file: a FIFO (opening it would block forever: the hang this guards against), a dangling
  // symlink and a symlink loop.
  TempDir d;
  fs::path dir = fs::path(d.path()) / "migrations";
  fs::create_directory(dir);
  std::ofstream(dir / "001_ok.sql") << "CREATE TABLE t (id int);\n";
  REQUIRE(mkfifo((dir / "002_fifo.sql").c_str(), 0644) == 0);
  fs::create_symlink(dir / "missing.sql", dir / "003_dangling.sql");
  fs::create_symlink(dir / "004_loop.sql", dir / "004_loop.sql");
  auto r = run_pgstage({"lint", "--format", "json", dir.string()}, {.timeout = std::chrono::seconds(60)});
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 2);
  for (auto name : {"002_fifo.sql", "003_dangling.sql", "004_loop.sql"}) {
    INFO(name);
    CHECK(r.err.find(name) != std::string::npos);
  }
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["summary"]["files"] == 1);
  // A FIFO named on the command line is refused too, without opening it.
  auto f =
      run_pgstage({"lint", "--no-history", (dir / "002_fifo.sql").string()}, {.timeout = std::chrono::seconds(60)});
  REQUIRE_FALSE(f.timed_out);
  CHECK(f.exit_code == 2);
  CHECK(f.err.find("not a regular file") != std::string::npos);
}

TEST_CASE("robustness: a symlink loop given as the path is a clear error") {
  TempDir d;
  fs::create_symlink(fs::path(d.path()) / "b.sql", fs::path(d.path()) / "a.sql");
  fs::create_symlink(fs::path(d.path()) / "a.sql", fs::path(d.path()) / "b.sql");
  auto r = run_pgstage({"lint", "--no-history", (fs::path(d.path()) / "a.sql").string()},
                       {.timeout = std::chrono::seconds(60)});
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("a.sql") != std::string::npos);
  CHECK(r.err.find("symbolic links") != std::string::npos);
}

}  // namespace unit_robustness_test
