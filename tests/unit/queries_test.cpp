// Query sources (queries/): .sql files and directories of the running release's queries.
#include <doctest/doctest.h>

#include "queries/queries.h"
#include "tests/support/cli_run.h"

namespace unit_queries_test {

using namespace pgstage;

TEST_CASE("query files: statements split with the parser, $n parameters, file:line of each") {
  test::TempDir d;
  std::string p = d.write("q.sql",
                          "-- users\nSELECT name FROM users WHERE id = $1;\n\n"
                          "/* two\n lines */ INSERT INTO users (id, name)\n  VALUES ($1, $2);\n"
                          "WITH x AS (SELECT 1) SELECT * FROM x;\n(SELECT 1);\nSELECT ';' AS semi");
  std::vector<queries::Query> qs;
  std::string err;
  REQUIRE_MESSAGE(queries::load_query_files(p, qs, err), err);
  REQUIRE(qs.size() == 5);
  CHECK(qs[0].line == 2);
  CHECK(qs[0].column == 1);
  CHECK(qs[0].origin == p + ":2");
  CHECK(qs[1].line == 5);
  CHECK(qs[1].column == 11);
  CHECK(qs[2].line == 7);
  CHECK(qs[4].sql.find("';'") != std::string::npos);
  CHECK(qs[0].calls == -1);
  CHECK_FALSE(qs[0].from_stats);
}

TEST_CASE("query directories: every .sql file, sorted, recursively") {
  test::TempDir d;
  d.write("b.sql", "SELECT 2;\n");
  d.write("a/z.sql", "SELECT 1;\n");
  d.write("notes.txt", "not sql");
  std::vector<queries::Query> qs;
  std::string err;
  REQUIRE_MESSAGE(queries::load_query_files(d.path(), qs, err), err);
  REQUIRE(qs.size() == 2);
  CHECK(qs[0].file == d.path() + "/a/z.sql");
  CHECK(qs[1].file == d.path() + "/b.sql");
}

TEST_CASE("query files: bad input is an error with file:line:col, never a crash") {
  test::TempDir d;
  std::vector<queries::Query> qs;
  std::string err;
  CHECK_FALSE(queries::load_query_files(d.write("s.sql", "SELECT 1;\n  SELEC 2;\n"), qs, err));
  CHECK(err.find("s.sql:2:3: the query does not parse") != std::string::npos);
  CHECK_FALSE(queries::load_query_files(d.write("u.sql", "SELECT 1;\nCREATE TABLE t (a int);\n"), qs, err));
  CHECK(err.find("u.sql:2:1: not a query") != std::string::npos);
  CHECK_FALSE(queries::load_query_files(d.write("e.sql", "-- nothing\n"), qs, err));
  CHECK(err.find("no queries") != std::string::npos);
  CHECK_FALSE(queries::load_query_files(d.path() + "/missing.sql", qs, err));
  CHECK(err.find("missing.sql") != std::string::npos);
  test::TempDir empty;
  CHECK_FALSE(queries::load_query_files(empty.path(), qs, err));
  CHECK(err.find("no .sql files") != std::string::npos);
}

TEST_CASE("preparable statements and one-line forms") {
  CHECK(queries::preparable("select 1"));
  CHECK(queries::preparable("  -- c\n/* d */ ((SELECT 1))"));
  CHECK(queries::preparable("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x"));
  CHECK(queries::preparable("MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE"));
  CHECK_FALSE(queries::preparable("BEGIN"));
  CHECK_FALSE(queries::preparable("SET search_path = x"));
  CHECK_FALSE(queries::preparable("ALTER TABLE t ADD COLUMN a int"));
  CHECK(queries::one_line("SELECT a,\n   b  FROM t") == "SELECT a, b FROM t");
  CHECK(queries::one_line(std::string(200, 'x'), 10) == "xxxxxxxxxx...");
  CHECK(queries::one_line("SELECT 'ééééé'", 10) == "SELECT 'é...");
}

}  // namespace unit_queries_test
