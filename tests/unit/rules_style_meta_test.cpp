// Style rules (prefer-*, ban-char-type, identifier-too-long, foreign-key-without-index) and
// unused-ignore: defaults, the columns they look at, and the catalog they consult.
#include <doctest/doctest.h>

#include "rules/registry.h"
#include "tests/support/lint_helpers.h"

namespace unit_rules_style_meta_test {

using namespace pgstage;

namespace {

std::vector<Finding> run(const std::string& sql, const std::string& rule, bool enable = true) {
  LintOptions opts;
  if (enable) opts.enable.insert(rule);
  return test::findings_of(test::lint_text(sql, opts), rule);
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("style rules: severities and which are off by default") {
  for (const char* id :
       {"prefer-bigint", "prefer-identity", "prefer-text", "prefer-timestamptz", "prefer-jsonb", "ban-char-type"}) {
    INFO(id);
    const Rule* r = rules::find(id);
    REQUIRE(r);
    CHECK(r->category == Category::Style);
    CHECK(r->severity == Severity::Hint);
  }
  CHECK(rules::find("identifier-too-long")->severity == Severity::Warning);
  CHECK(rules::find("foreign-key-without-index")->severity == Severity::Warning);
  CHECK(!rules::find("prefer-identity")->enabled_by_default);
  CHECK(!rules::find("prefer-text")->enabled_by_default);
  CHECK(rules::find("prefer-bigint")->enabled_by_default);
  CHECK(run("CREATE TABLE t (id serial PRIMARY KEY);", "prefer-identity", false).empty());
  CHECK(run("CREATE TABLE t (id serial PRIMARY KEY);", "prefer-identity").size() == 1);
  CHECK(run("CREATE TABLE t (name varchar(20));", "prefer-text", false).empty());
  CHECK(run("CREATE TABLE t (name varchar(20));", "prefer-text").size() == 1);
  CHECK(run("CREATE TABLE t (name varchar);", "prefer-text").empty());
}

TEST_CASE("prefer-bigint: key columns only, inline and table constraints, ALTER on known tables") {
  CHECK(run("CREATE TABLE t (id int PRIMARY KEY, n int);", "prefer-bigint").size() == 1);
  CHECK(run("CREATE TABLE t (id smallint, CONSTRAINT pk PRIMARY KEY (id));", "prefer-bigint").size() == 1);
  auto fk = run("CREATE TABLE t (id bigint PRIMARY KEY, user_id integer REFERENCES users (id));", "prefer-bigint");
  REQUIRE(fk.size() == 1);
  CHECK(has(fk[0].message, "foreign key column `t.user_id`"));
  CHECK(run("CREATE TABLE t (id bigserial PRIMARY KEY, n int);", "prefer-bigint").empty());
  CHECK(run("CREATE TABLE t (id int);\nALTER TABLE t ADD PRIMARY KEY (id);", "prefer-bigint").size() == 1);
  CHECK(run("CREATE TABLE t (x int);\n-- pgstage:history-end\nALTER TABLE t ADD COLUMN id int;\n"
            "ALTER TABLE t ADD PRIMARY KEY (id);",
            "prefer-bigint")
            .size() == 1);
  // A key constraint on a column that predates the change set: its type is not being chosen now.
  CHECK(run("CREATE TABLE t (id int);\n-- pgstage:history-end\nALTER TABLE t ADD PRIMARY KEY (id);", "prefer-bigint")
            .empty());
  CHECK(run("ALTER TABLE t ADD COLUMN parent_id int REFERENCES t (id);", "prefer-bigint").size() == 1);
  CHECK(run("CREATE TABLE t (id int PRIMARY KEY);\n-- pgstage:history-end\nALTER TABLE t ALTER COLUMN id TYPE int2;",
            "prefer-bigint")
            .size() == 1);
}

TEST_CASE("prefer-timestamptz, prefer-jsonb, ban-char-type: CREATE, ADD COLUMN and ALTER TYPE") {
  CHECK(
      run("CREATE TABLE t (a timestamp, b timestamp without time zone, c timestamptz);", "prefer-timestamptz").size() ==
      2);
  CHECK(run("ALTER TABLE t ADD COLUMN at timestamp(3);", "prefer-timestamptz").size() == 1);
  CHECK(run("ALTER TABLE t ALTER COLUMN at TYPE timestamp;", "prefer-timestamptz").size() == 1);
  CHECK(run("CREATE TABLE t (a json, b jsonb, c json[]);", "prefer-jsonb").size() == 2);
  CHECK(run("CREATE TABLE t (a char(2), b character(3), c varchar(2), d text);", "ban-char-type").size() == 2);
  // History is not reviewed.
  CHECK(run("CREATE TABLE t (a json);\n-- pgstage:history-end\nALTER TABLE t ADD COLUMN b jsonb;", "prefer-jsonb")
            .empty());
}

TEST_CASE("identifier-too-long: 63 bytes allowed, quoted names, literals and comments ignored") {
  const std::string n63(63, 'a'), n64(64, 'b');
  CHECK(run("CREATE TABLE " + n63 + " (id int);", "identifier-too-long").empty());
  auto f = run("CREATE TABLE t (id int);\nCREATE INDEX " + n64 + " ON t (id);", "identifier-too-long");
  REQUIRE(f.size() == 1);
  CHECK(f[0].start.line == 2);
  CHECK(f[0].start.column == 14);
  CHECK(has(f[0].message, "64 bytes"));
  CHECK(run("ALTER TABLE t RENAME COLUMN a TO \"" + n64 + "\";", "identifier-too-long").size() == 1);
  CHECK(run("SELECT '" + n64 + "';\n-- " + n64 + "\nSELECT $x$" + n64 + "$x$;", "identifier-too-long").empty());
  // Multi-byte: 32 two-byte characters are 64 bytes.
  std::string wide;
  for (int i = 0; i < 32; ++i) wide += "\xc3\xa9";
  CHECK(run("CREATE TABLE \"" + wide + "\" (id int);", "identifier-too-long").size() == 1);
}

TEST_CASE("foreign-key-without-index: indexes anywhere in the file, leading columns, unknown tables") {
  const std::string h =
      "CREATE TABLE users (id bigint PRIMARY KEY);\n"
      "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, shop_id bigint);\n";
  auto f = run(h + "-- pgstage:history-end\n"
                   "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
               "foreign-key-without-index");
  REQUIRE(f.size() == 1);
  CHECK(has(f[0].help, "CREATE INDEX CONCURRENTLY ON \"orders\" (\"user_id\");"));
  CHECK(f[0].start.line == 1);
  // An index created later in the same file counts.
  CHECK(run(h + "-- pgstage:history-end\n"
                "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
                "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);",
            "foreign-key-without-index")
            .empty());
  // An index from history counts; it must lead with the key's columns.
  CHECK(run(h + "CREATE INDEX o_u ON orders (user_id, shop_id);\n-- pgstage:history-end\n"
                "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);",
            "foreign-key-without-index")
            .empty());
  CHECK(run(h + "CREATE INDEX o_su ON orders (shop_id, user_id);\n-- pgstage:history-end\n"
                "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);",
            "foreign-key-without-index")
            .size() == 1);
  CHECK(run(h + "CREATE INDEX o_su ON orders (shop_id, user_id);\n-- pgstage:history-end\n"
                "ALTER TABLE orders ADD FOREIGN KEY (user_id, shop_id) REFERENCES users (id, x);",
            "foreign-key-without-index")
            .empty());
  // A unique constraint or primary key on the columns is an index too.
  CHECK(run("CREATE TABLE users (id bigint PRIMARY KEY);\n"
            "CREATE TABLE profiles (user_id bigint PRIMARY KEY REFERENCES users (id));",
            "foreign-key-without-index")
            .empty());
  // Unknown table: its indexes are unknown, stay silent.
  CHECK(
      run("ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);", "foreign-key-without-index").empty());
  // Inline REFERENCES on an added column, inside a DO block.
  CHECK(run(h + "-- pgstage:history-end\n"
                "DO $$ BEGIN ALTER TABLE orders ADD COLUMN buyer_id bigint REFERENCES users (id); END $$;",
            "foreign-key-without-index")
            .size() == 1);
  // An ignore comment on the statement suppresses the file-end finding.
  CHECK(run(h + "-- pgstage:history-end\n-- pgstage:ignore foreign-key-without-index -- tiny table\n"
                "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);",
            "foreign-key-without-index")
            .empty());
}

TEST_CASE("style rules look inside DO blocks, not function bodies") {
  CHECK(run("DO $$ BEGIN CREATE TABLE t (a json); END $$;", "prefer-jsonb").size() == 1);
  CHECK(run("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE TABLE t (a json); END $$;",
            "prefer-jsonb")
            .empty());
}

TEST_CASE("unused-ignore: unused, unknown and bare ignore comments") {
  auto unused = run("-- pgstage:ignore truncate-table -- old\nSELECT 1;", "unused-ignore");
  REQUIRE(unused.size() == 1);
  CHECK(unused[0].severity == Severity::Warning);
  auto unknown = run("-- pgstage:ignore truncate-tables\nTRUNCATE x;", "unused-ignore");
  REQUIRE(unknown.size() == 1);
  CHECK(has(unknown[0].message, "unknown rule `truncate-tables`"));
  CHECK(run("-- pgstage:ignore truncate-table\nTRUNCATE x;", "unused-ignore").empty());
  CHECK(run("-- pgstage:ignore-file truncate-table\nSELECT 1;\nTRUNCATE x;", "unused-ignore").empty());
  auto bare = run("-- pgstage:ignore\nTRUNCATE x;", "unused-ignore");
  REQUIRE(bare.size() == 1);
  CHECK(bare[0].severity == Severity::Error);
}

TEST_CASE("identifier-too-long: DO block bodies are scanned, function bodies are not") {
  const std::string n64(64, 'c');
  CHECK(run("DO $$ BEGIN CREATE TABLE " + n64 + " (id int); END $$;", "identifier-too-long").size() == 1);
  CHECK(run("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE TABLE " + n64 + " (id int); END $$;",
            "identifier-too-long")
            .empty());
}

TEST_CASE("identifier-too-long: escape strings do not end early") {
  const std::string n64(64, 'd');
  CHECK(run("SELECT E'it\\'s " + n64 + "';", "identifier-too-long").empty());
  CHECK(run("SELECT E'x\\\\', " + n64 + ";", "identifier-too-long").size() == 1);
}

TEST_CASE("syntax newer than the bundled grammar: a warning that it was not analysed, and what it creates is new") {
  LintOptions pg16;
  pg16.settings.pg_version = 16;
  const std::string newer = "CREATE TABLE recent AS SELECT * FROM (SELECT 1 AS x);\nCREATE INDEX recent_x ON recent (x);\n";
  auto r16 = test::lint_text(newer, pg16);
  auto syntax = test::findings_of(r16, "syntax-error");
  REQUIRE(syntax.size() == 1);
  CHECK(syntax[0].severity == Severity::Warning);
  CHECK(has(syntax[0].message, "could not analyse this statement"));
  CHECK(has(syntax[0].message, "pg_version is 16"));
  // The table it creates is new: an index on it locks nothing anyone uses.
  CHECK(test::findings_of(r16, "create-index-non-concurrent").empty());
  // On Postgres 15 the same statement is an error: it does not parse.
  auto r15 = test::lint_text(newer);
  auto e15 = test::findings_of(r15, "syntax-error");
  REQUIRE(e15.size() == 1);
  CHECK(e15[0].severity == Severity::Error);
  // Schema-qualified and quoted names, views, IF NOT EXISTS.
  auto q = test::lint_text(
      "CREATE UNLOGGED TABLE IF NOT EXISTS \"App\".\"Recent\" AS SELECT * FROM (SELECT 1 AS x);\n"
      "CREATE INDEX r_x ON \"App\".\"Recent\" (x);\n"
      "CREATE MATERIALIZED VIEW mv AS SELECT * FROM (SELECT 1 AS x);\nCREATE INDEX mv_x ON mv (x);\n",
      pg16);
  CHECK(test::findings_of(q, "create-index-non-concurrent").empty());
  CHECK(test::findings_of(q, "syntax-error").size() == 2);
}

TEST_CASE("foreign-key-without-index: a partial or GIN index does not serve the foreign key") {
  const std::string h =
      "CREATE TABLE users (id bigint PRIMARY KEY);\n"
      "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, open bool);\n";
  const std::string fk = "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);";
  CHECK(run(h + "CREATE INDEX orders_open_user ON orders (user_id) WHERE open;\n-- pgstage:history-end\n" + fk,
            "foreign-key-without-index")
            .size() == 1);
  CHECK(run(h + "CREATE INDEX orders_user_brin ON orders USING brin (user_id);\n-- pgstage:history-end\n" + fk,
            "foreign-key-without-index")
            .size() == 1);
  CHECK(run(h + "CREATE INDEX orders_user ON orders (user_id);\n-- pgstage:history-end\n" + fk,
            "foreign-key-without-index")
            .empty());
  CHECK(run(h + "CREATE INDEX orders_user_h ON orders USING hash (user_id);\n-- pgstage:history-end\n" + fk,
            "foreign-key-without-index")
            .empty());
}

TEST_CASE("unknown-type: other databases' type names Postgres refuses, unless a migration creates them") {
  const Rule* r = rules::find("unknown-type");
  REQUIRE(r);
  CHECK(r->category == Category::Meta);
  CHECK(r->severity == Severity::Error);
  CHECK(r->enabled_by_default);
  // No history at all: still reported (the names are other databases' types).
  auto f = run("CREATE TABLE e (id bigint, created_at DATETIME, n NVARCHAR(50), u uniqueidentifier);", "unknown-type");
  REQUIRE(f.size() == 3);
  CHECK(has(f[0].message, "`e.created_at` has type `datetime`"));
  CHECK(has(f[0].message, "type \"datetime\" does not exist"));
  CHECK(has(f[0].help, "\"created_at\" timestamptz"));
  CHECK(has(f[1].message, "nvarchar(50)"));
  CHECK(has(f[2].help, "\"u\" uuid"));
  CHECK(run("ALTER TABLE e ADD COLUMN at datetime[];", "unknown-type").size() == 1);
  CHECK(has(run("ALTER TABLE e ADD COLUMN at datetime[];", "unknown-type")[0].help, "timestamptz[]"));
  CHECK(run("ALTER TABLE e ALTER COLUMN at TYPE tinyint;", "unknown-type").size() == 1);
  // Postgres' own names, aliases and extension types are not reported.
  CHECK(run("CREATE TABLE p (a timestamp, b int, c double precision, d citext, e hstore, f geometry, g ltree, "
            "h vector(3), i bit varying, j \"char\", k money, l interval, m xml, n int4range);",
            "unknown-type")
            .empty());
  // A type or domain of that name created by a migration (any kind, any schema, also CREATE TYPE ... AS
  // RANGE, a base or shell type, or earlier in the same DO block), or a column that already uses it.
  for (std::string created : {"CREATE DOMAIN datetime AS timestamptz;", "CREATE TYPE datetime AS ENUM ('a');",
                              "CREATE TYPE app.datetime AS (d date);", "CREATE TYPE datetime AS RANGE (subtype = int4);",
                              "CREATE TYPE datetime;", "CREATE TABLE old (at datetime);"}) {
    CAPTURE(created);
    CHECK(run(created + "\n-- pgstage:history-end\nCREATE TABLE e (id bigint, at datetime);", "unknown-type").empty());
    // Under review, the column of `old` is itself the use to report (once), not a creation.
    size_t expected = created.starts_with("CREATE TABLE") ? 1 : 0;
    CHECK(run(created + "\nCREATE TABLE e (id bigint, at datetime);", "unknown-type").size() == expected);
  }
  CHECK(run("DO $$ BEGIN CREATE DOMAIN datetime AS timestamptz; CREATE TABLE e (at datetime); END $$;", "unknown-type")
            .empty());
  // Created only after its use: still fails.
  CHECK(run("CREATE TABLE e (id bigint, at datetime);\nCREATE DOMAIN datetime AS timestamptz;", "unknown-type").size() ==
        1);
  // VARCHAR2 is orafce's: reported (naming orafce) unless the migrations create that extension.
  auto ora = run("CREATE TABLE o (name varchar2(30));", "unknown-type");
  REQUIRE(ora.size() == 1);
  CHECK(has(ora[0].message, "orafce"));
  CHECK(run("CREATE EXTENSION orafce;\nCREATE TABLE o (name varchar2(30));", "unknown-type").empty());
  // Babelfish creates SQL Server's types.
  CHECK(run("CREATE EXTENSION babelfishpg_common;\nCREATE TABLE o (at datetime, n nvarchar(5));", "unknown-type").empty());
  // Schema-qualified names are someone's own types.
  CHECK(run("CREATE TABLE o (b legacy.blob);", "unknown-type").empty());
}

}  // namespace unit_rules_style_meta_test
