// Transaction rules (transaction-nesting, uncommitted-transaction, adding-enum-value) and the
// rewrite/data rules (table-rewrite, vacuum-full, truncate-table, dropping-database, unbounded-dml,
// backfill-in-migration): exemptions, runner wrapping, version gates, DO blocks.
#include <doctest/doctest.h>

#include "tests/support/lint_helpers.h"

namespace unit_rules_transaction_data_test {

using namespace pgstage;

namespace {

std::vector<Finding> run(const std::string& sql, const std::string& rule, LintOptions opts = {},
                         const std::string& name = "test.sql") {
  opts.enable.insert(rule);
  return test::findings_of(test::lint_text(sql, opts, name), rule);
}
LintOptions pg(int version, TxMode mode = TxMode::Auto) {
  LintOptions o;
  o.settings.pg_version = version;
  o.settings.transaction = mode;
  return o;
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const std::string kHist =
    "CREATE TYPE status AS ENUM ('active', 'inactive');\n"
    "CREATE TABLE users (id bigint PRIMARY KEY, s status, active bool);\n"
    "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n-- pgstage:history-end\n";

}  // namespace

TEST_CASE("transaction-nesting: nested BEGIN and BEGIN/COMMIT under a wrapping runner") {
  CHECK(run("BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;", "transaction-nesting").size() == 1);
  CHECK(run("BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;", "transaction-nesting").empty());
  auto wrapped = run("BEGIN;\nSELECT 1;\nCOMMIT;", "transaction-nesting", pg(15, TxMode::PerFile));
  REQUIRE(wrapped.size() == 1);
  CHECK(wrapped[0].start.line == 1);
  CHECK(has(wrapped[0].message, "runner"));
  CHECK(run("SELECT 1;\nCOMMIT;", "transaction-nesting", pg(15, TxMode::PerFile)).size() == 1);
  CHECK(run("BEGIN;\nSELECT 1;\nCOMMIT;", "transaction-nesting", pg(15, TxMode::None)).empty());
  // goose wraps each file unless it says NO TRANSACTION.
  CHECK(run("-- +goose Up\nBEGIN;\nSELECT 1;\nCOMMIT;\n", "transaction-nesting").size() == 1);
  CHECK(run("-- +goose Up\n-- +goose NO TRANSACTION\nBEGIN;\nSELECT 1;\nCOMMIT;\n", "transaction-nesting").empty());
  CHECK(run("-- pgstage:no-transaction\nBEGIN;\nSELECT 1;\nCOMMIT;", "transaction-nesting", pg(15, TxMode::PerFile))
            .empty());
  // A stray COMMIT or ROLLBACK with nothing open: the statements before it were never atomic.
  auto stray =
      run("CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCOMMIT;", "transaction-nesting", pg(15, TxMode::None));
  REQUIRE(stray.size() == 1);
  CHECK(stray[0].start.line == 3);
  CHECK(has(stray[0].message, "no transaction open"));
  auto rb = run("SELECT 1;\nROLLBACK;", "transaction-nesting", pg(15, TxMode::None));
  REQUIRE(rb.size() == 1);
  CHECK(has(rb[0].message, "nothing is rolled back"));
  CHECK(run("BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nROLLBACK;", "transaction-nesting", pg(15, TxMode::None))
            .empty());
}

TEST_CASE("adding-required-column right after TRUNCATE in the same transaction: the table has no rows") {
  auto f = run(kHist + "BEGIN;\nTRUNCATE orders;\nALTER TABLE orders ADD COLUMN total numeric NOT NULL;\nCOMMIT;",
               "adding-required-column");
  REQUIRE(f.size() == 1);  // the running release's INSERTs still fail
  CHECK_FALSE(has(f[0].message, "has rows"));
  auto g = run(kHist + "ALTER TABLE orders ADD COLUMN total numeric NOT NULL;", "adding-required-column");
  REQUIRE(g.size() == 1);
  CHECK(has(g[0].message, "has rows"));
}

TEST_CASE("uncommitted-transaction: open BEGIN at end of file, reported at the BEGIN") {
  auto f = run("SELECT 1;\nBEGIN;\nCREATE TABLE a (id int);", "uncommitted-transaction");
  REQUIRE(f.size() == 1);
  CHECK(f[0].start.line == 2);
  CHECK(f[0].severity == Severity::Error);
  CHECK(run("BEGIN;\nCREATE TABLE a (id int);\nROLLBACK;", "uncommitted-transaction").empty());
  CHECK(run("BEGIN;\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;", "uncommitted-transaction").empty());
  CHECK(run("CREATE TABLE a (id int);", "uncommitted-transaction", pg(15, TxMode::PerFile)).empty());
  // An ignore comment on the BEGIN statement suppresses the file-end finding.
  auto r = test::lint_text("-- pgstage:ignore uncommitted-transaction -- psql session script\nBEGIN;\nSELECT 1;");
  CHECK(test::findings_of(r, "uncommitted-transaction").empty());
  CHECK(test::findings_of(r, "unused-ignore").empty());
}

TEST_CASE("adding-enum-value: PG 12 gate, use in the same transaction, new types") {
  const std::string add = "ALTER TYPE status ADD VALUE 'archived';\n";
  const std::string use = "UPDATE users SET s = 'archived' WHERE s = 'inactive';\n";
  auto v11 = run(kHist + "BEGIN;\n" + add + "COMMIT;", "adding-enum-value", pg(11));
  REQUIRE(v11.size() == 1);
  CHECK(has(v11[0].message, "before PostgreSQL 12"));
  CHECK(has(v11[0].message, "pg_version is 11"));
  CHECK(run(kHist + add, "adding-enum-value", pg(11)).empty());                           // autocommit
  CHECK(run(kHist + add, "adding-enum-value", pg(11, TxMode::PerFile)).size() == 1);      // runner wraps
  CHECK(run(kHist + "BEGIN;\n" + add + "COMMIT;", "adding-enum-value", pg(12)).empty());  // allowed from 12
  auto used = run(kHist + "BEGIN;\n" + add + use + "COMMIT;", "adding-enum-value");
  REQUIRE(used.size() == 1);
  CHECK(used[0].start.line == 3);
  CHECK(run(kHist + "BEGIN;\n" + add + "COMMIT;\n" + use, "adding-enum-value").empty());
  CHECK(run(kHist + add + use, "adding-enum-value").empty());
  CHECK(run(kHist + "BEGIN;\n" + add + "UPDATE users SET s = 'active';\nCOMMIT;", "adding-enum-value").empty());
  // A type created in the change set may get values and use them in its transaction.
  CHECK(run("BEGIN;\nCREATE TYPE mood AS ENUM ('sad');\nALTER TYPE mood ADD VALUE 'happy';\nCOMMIT;",
            "adding-enum-value", pg(11))
            .empty());
  CHECK(run(kHist + "BEGIN;\nDO $$ BEGIN ALTER TYPE status ADD VALUE 'gone'; END $$;\nCOMMIT;", "adding-enum-value",
            pg(11))
            .size() == 1);
}

TEST_CASE("table-rewrite and vacuum-full") {
  CHECK(run(kHist + "ALTER TABLE users SET UNLOGGED;", "table-rewrite").size() == 1);
  CHECK(run(kHist + "ALTER TABLE users SET TABLESPACE fast;", "table-rewrite").size() == 1);
  CHECK(run(kHist + "ALTER TABLE users SET ACCESS METHOD heap2;", "table-rewrite").size() == 1);
  CHECK(run(kHist + "ALTER TABLE users SET (fillfactor = 70);", "table-rewrite").empty());
  CHECK(run("CREATE TABLE t (id int);\nALTER TABLE t SET UNLOGGED;", "table-rewrite").empty());
  CHECK(run(kHist + "VACUUM FULL users;", "vacuum-full").size() == 1);
  CHECK(run(kHist + "VACUUM (FULL, ANALYZE) users;", "vacuum-full").size() == 1);
  CHECK(run(kHist + "VACUUM FULL;", "vacuum-full").size() == 1);
  CHECK(run(kHist + "VACUUM users;", "vacuum-full").empty());
  CHECK(run(kHist + "VACUUM (FULL false) users;", "vacuum-full").empty());
  CHECK(run(kHist + "CLUSTER users USING users_pkey;", "vacuum-full").size() == 1);
  CHECK(run("CREATE TABLE t (id int);\nVACUUM FULL t;", "vacuum-full").empty());
}

TEST_CASE("truncate-table and dropping-database") {
  auto cascade = run(kHist + "TRUNCATE users, orders CASCADE;", "truncate-table");
  REQUIRE(cascade.size() == 1);
  CHECK(has(cascade[0].message, "CASCADE"));
  CHECK(has(cascade[0].message, "`users`, `orders`"));
  CHECK(!has(run(kHist + "TRUNCATE users;", "truncate-table")[0].message, "CASCADE"));
  CHECK(run("CREATE TABLE staging (id int);\nTRUNCATE staging;", "truncate-table").empty());
  CHECK(run("TRUNCATE unknown_table;", "truncate-table").size() == 1);  // unknown counts as existing
  auto db = run("DROP DATABASE IF EXISTS legacy;", "dropping-database");
  REQUIRE(db.size() == 1);
  CHECK(db[0].severity == Severity::Error);
  CHECK(run("DROP TABLE legacy;", "dropping-database").empty());
}

TEST_CASE("unbounded-dml: WHERE, new tables, DELETE") {
  CHECK(run(kHist + "UPDATE users SET active = true;", "unbounded-dml").size() == 1);
  CHECK(run(kHist + "DELETE FROM orders;", "unbounded-dml").size() == 1);
  CHECK(run(kHist + "UPDATE users SET active = true WHERE active IS NULL;", "unbounded-dml").empty());
  CHECK(run(kHist + "INSERT INTO orders SELECT id, id FROM users;", "unbounded-dml").empty());
  CHECK(run("CREATE TABLE t (id int, x int);\nUPDATE t SET x = 1;", "unbounded-dml").empty());
  CHECK(run(kHist + "UPDATE users SET active = true;", "unbounded-dml")[0].plannable);
}

TEST_CASE("backfill-in-migration: same transaction as DDL on the table") {
  const std::string ddl = "ALTER TABLE users ADD COLUMN v int;\n";
  const std::string upd = "UPDATE users SET v = 1 WHERE v IS NULL;\n";
  auto f = run(kHist + "BEGIN;\n" + ddl + upd + "COMMIT;", "backfill-in-migration");
  REQUIRE(f.size() == 1);
  CHECK(has(f[0].message, "ACCESS EXCLUSIVE"));
  CHECK(run(kHist + ddl + upd, "backfill-in-migration").empty());                               // autocommit
  CHECK(run(kHist + ddl + upd, "backfill-in-migration", pg(15, TxMode::PerFile)).size() == 1);  // runner wraps
  CHECK(run(kHist + "BEGIN;\n" + ddl + "COMMIT;\nBEGIN;\n" + upd + "COMMIT;", "backfill-in-migration").empty());
  CHECK(run(kHist + "BEGIN;\n" + ddl + "UPDATE orders SET user_id = 1 WHERE user_id IS NULL;\nCOMMIT;",
            "backfill-in-migration")
            .empty());
  CHECK(
      run(kHist + "BEGIN;\n" + ddl + "INSERT INTO users (id) SELECT id FROM orders;\nCOMMIT;", "backfill-in-migration")
          .size() == 1);
  CHECK(run(kHist + "BEGIN;\n" + ddl + "INSERT INTO users (id) VALUES (1);\nCOMMIT;", "backfill-in-migration").empty());
  CHECK(run("BEGIN;\nCREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN v int;\nUPDATE t SET v = 1;\nCOMMIT;",
            "backfill-in-migration")
            .empty());
  CHECK(run(kHist + "BEGIN;\n" + ddl + "DO $$ BEGIN UPDATE users SET v = 1 WHERE v IS NULL; END $$;\nCOMMIT;",
            "backfill-in-migration")
            .size() == 1);
}

TEST_CASE("backfill-in-migration: one finding per table and transaction, seed tables are small") {
  const std::string two_updates =
      "BEGIN;\nALTER TABLE users ADD COLUMN l text;\nUPDATE users SET l = 'a' WHERE id = 1;\n"
      "UPDATE users SET l = 'b' WHERE id = 2;\nUPDATE users SET l = 'c' WHERE id = 3;\nCOMMIT;\n";
  auto f = run(kHist + two_updates, "backfill-in-migration");
  REQUIRE(f.size() == 1);
  CHECK(f[0].start.line == 3);
  CHECK(f[0].severity == Severity::Error);
  CHECK(has(f[0].message, "with 2 more backfill statements on `users` later in this transaction"));
  // The next transaction is judged on its own; another table gets its own finding.
  auto again = run(kHist + two_updates +
                       "BEGIN;\nALTER TABLE users ADD COLUMN m text;\nUPDATE users SET m = 'x' WHERE id = 1;\n"
                       "ALTER TABLE orders ADD COLUMN n text;\nUPDATE orders SET n = 'y' WHERE id = 1;\nCOMMIT;",
                   "backfill-in-migration");
  REQUIRE(again.size() == 3);
  CHECK(again[1].start.line == 9);
  CHECK(has(again[2].message, "`orders`"));
  // An UPDATE before the DDL keeps its row locks while the DDL waits, then both until COMMIT: one
  // finding for the table, at the first write, counting the one after the DDL.
  auto after = run(kHist + "BEGIN;\nUPDATE users SET active = true WHERE id = 1;\nALTER TABLE users ADD COLUMN l text;\n"
                           "UPDATE users SET l = 'a' WHERE id = 1;\nCOMMIT;",
                   "backfill-in-migration");
  REQUIRE(after.size() == 1);
  CHECK(after[0].start.line == 2);
  CHECK(has(after[0].message, "DDL on it at line 3"));
  CHECK(has(after[0].message, "with 1 more backfill statement on `users`"));
  // Several UPDATEs in one DO block: one finding.
  CHECK(run(kHist + "DO $$ BEGIN ALTER TABLE users ADD COLUMN l text; UPDATE users SET l = 'a' WHERE id = 1; "
                    "UPDATE users SET l = 'b' WHERE id = 2; END $$;",
            "backfill-in-migration")
            .size() == 1);
  // A table the migrations created and filled with INSERT ... VALUES only is a seed table: a hint.
  const std::string seed =
      "CREATE TABLE kinds (k text PRIMARY KEY, label text);\nINSERT INTO kinds VALUES ('a', 'A'), ('b', 'B');\n";
  auto small = run(seed + "-- pgstage:history-end\nBEGIN;\nALTER TABLE kinds ADD COLUMN extra text;\n"
                          "UPDATE kinds SET extra = 'x' WHERE k = 'a';\nCOMMIT;",
                   "backfill-in-migration");
  REQUIRE(small.size() == 1);
  CHECK(small[0].severity == Severity::Hint);
  CHECK(has(small[0].message, "seed or lookup table"));
  // Rows copied from another table (INSERT ... SELECT) make it an ordinary table again.
  auto copied = run(seed + "INSERT INTO kinds SELECT id::text, 'u' FROM users;\n" + "-- pgstage:history-end\nBEGIN;\n"
                           "ALTER TABLE kinds ADD COLUMN extra text;\nUPDATE kinds SET extra = 'x';\nCOMMIT;",
                    "backfill-in-migration");
  REQUIRE(copied.size() == 1);
  CHECK(copied[0].severity == Severity::Error);
}

TEST_CASE("golang-migrate and Prisma: a file of several statements is one implicit transaction") {
  auto as = [](Layout l, TxMode mode = TxMode::Auto) {
    LintOptions o;
    o.layout = l;
    o.settings.transaction = mode;
    return o;
  };
  const std::string ddl_then_update = "ALTER TABLE users ADD COLUMN v int;\nUPDATE users SET v = 1 WHERE v IS NULL;\n";
  CHECK(run(kHist + ddl_then_update, "backfill-in-migration", as(Layout::GolangMigrate)).size() == 1);
  CHECK(run(kHist + ddl_then_update, "backfill-in-migration", as(Layout::Prisma)).size() == 1);
  CHECK(run(kHist + ddl_then_update, "backfill-in-migration", as(Layout::Plain)).empty());
  CHECK(run(kHist + ddl_then_update, "backfill-in-migration", as(Layout::GolangMigrate, TxMode::None)).empty());
  CHECK(run(kHist + "-- pgstage:no-transaction\n" + ddl_then_update, "backfill-in-migration", as(Layout::GolangMigrate))
            .empty());
  // BEGIN turns the implicit block into an explicit one: the ALTER before it is in the same transaction,
  // and the BEGIN is not a nested one.
  CHECK(run(kHist + "ALTER TABLE users ADD COLUMN v int;\nBEGIN;\nUPDATE users SET v = 1 WHERE v IS NULL;\nCOMMIT;",
            "backfill-in-migration", as(Layout::GolangMigrate))
            .size() == 1);
  CHECK(run(kHist + "ALTER TABLE users ADD COLUMN v int;\nBEGIN;\nSELECT 1;\nCOMMIT;", "transaction-nesting",
            as(Layout::GolangMigrate))
            .empty());
  // After COMMIT the rest of the file is a new implicit transaction.
  CHECK(run(kHist + "BEGIN;\nALTER TABLE users ADD COLUMN v int;\nCOMMIT;\nUPDATE users SET v = 1 WHERE v IS NULL;\n"
                    "SELECT 1;",
            "backfill-in-migration", as(Layout::GolangMigrate))
            .empty());
  auto stray = run(kHist + "ALTER TABLE users ADD COLUMN v int;\nCOMMIT;\nSELECT 1;", "transaction-nesting",
                   as(Layout::GolangMigrate));
  REQUIRE(stray.size() == 1);
  CHECK(has(stray[0].message, "commits the implicit transaction of the statements before it"));
  // CONCURRENTLY fails next to any other statement, and runs alone in a file of its own.
  auto cic = run(kHist + "CREATE INDEX CONCURRENTLY users_s_idx ON users (s);\nSELECT 1;", "concurrently-in-transaction",
                 as(Layout::Prisma));
  REQUIRE(cic.size() == 1);
  CHECK(has(cic[0].message, "prisma sends the file as one multi-statement query"));
  CHECK(run(kHist + "CREATE INDEX CONCURRENTLY users_s_idx ON users (s);", "concurrently-in-transaction",
            as(Layout::GolangMigrate))
            .empty());
}

TEST_CASE("statements that cannot run in a transaction hold nothing in it; index names are not locked tables") {
  LintOptions flyway;
  flyway.layout = Layout::Flyway;
  // A Flyway file of CONCURRENTLY statements only runs without a transaction: nothing is held.
  auto only = test::lint_text(kHist + "CREATE INDEX CONCURRENTLY users_s_idx ON users (s);\n"
                                      "CREATE INDEX CONCURRENTLY orders_u_idx ON orders (user_id);\n"
                                      "DROP INDEX CONCURRENTLY users_s_idx;",
                              flyway, "V2__idx.sql");
  for (auto& f : only.findings) CHECK_MESSAGE(f.severity != Severity::Error, f.rule << ": " << f.message);
  CHECK(test::findings_of(only, "wide-lock-window").empty());
  auto drop = run(
      "CREATE TABLE users (id bigint PRIMARY KEY, s text);\nCREATE INDEX users_s_idx ON users (s);\n"
      "CREATE TABLE orders (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
      "BEGIN;\nDROP INDEX users_s_idx;\nALTER TABLE orders ADD COLUMN n text;\nCOMMIT;",
      "wide-lock-window");
  REQUIRE(drop.size() == 1);
  CHECK(has(drop[0].message, "`users`, `orders`"));
  CHECK_FALSE(has(drop[0].message, "users_s_idx"));
}

TEST_CASE("data rules fire inside DO blocks and their EXECUTE strings, not in function bodies") {
  CHECK(run(kHist + "DO $$ BEGIN TRUNCATE users; END $$;", "truncate-table").size() == 1);
  CHECK(run(kHist + "DO $$ BEGIN EXECUTE 'TRUNCATE orders'; END $$;", "truncate-table").size() == 1);
  CHECK(run(kHist + "DO $$ BEGIN DELETE FROM orders; END $$;", "unbounded-dml").size() == 1);
  CHECK(run(kHist + "DO $$ BEGIN EXECUTE 'VACUUM FULL users'; END $$;", "vacuum-full").size() == 1);
  CHECK(run(kHist + "DO $$ BEGIN ALTER TABLE users SET UNLOGGED; END $$;", "table-rewrite").size() == 1);
  const std::string fn =
      "CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $$ BEGIN TRUNCATE users; "
      "DELETE FROM orders; UPDATE users SET active = false; END $$;";
  auto r = test::lint_text(kHist + fn);
  CHECK(test::findings_of(r, "truncate-table").empty());
  CHECK(test::findings_of(r, "unbounded-dml").empty());
  auto sqlfn = test::lint_text(kHist + "CREATE FUNCTION p() RETURNS void LANGUAGE sql AS 'DELETE FROM orders';");
  CHECK(test::findings_of(sqlfn, "unbounded-dml").empty());
}

TEST_CASE("a DO block is one transaction, even in autocommit") {
  CHECK(run(kHist + "DO $$ BEGIN ALTER TABLE users ADD COLUMN v int; UPDATE users SET v = 1 WHERE v IS NULL; END $$;",
            "backfill-in-migration")
            .size() == 1);
  // The UPDATE's row locks are held while the ALTER waits for its lock, then until the block ends.
  CHECK(run(kHist + "DO $$ BEGIN UPDATE users SET active = true WHERE id = 1; ALTER TABLE users ADD COLUMN v int; "
                    "END $$;",
            "backfill-in-migration")
            .size() == 1);
  CHECK(run("DO $$ BEGIN CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN v int; UPDATE t SET v = 1; END $$;",
            "backfill-in-migration")
            .empty());
}

TEST_CASE("a table created earlier in the same DO block is new for the data rules") {
  CHECK(run("DO $$ BEGIN CREATE TABLE t (id int); TRUNCATE t; DELETE FROM t; END $$;", "truncate-table").empty());
  CHECK(run("DO $$ BEGIN CREATE TABLE t (id int); DELETE FROM t; END $$;", "unbounded-dml").empty());
  CHECK(run("DO $$ BEGIN CREATE TABLE t (id int); TRUNCATE users; END $$;", "truncate-table").size() == 1);
}

TEST_CASE("adding-enum-value inside DO blocks") {
  const std::string block = "DO $$ BEGIN ALTER TYPE status ADD VALUE 'gone'; END $$;";
  auto v11 = run(kHist + block, "adding-enum-value", pg(11));
  REQUIRE(v11.size() == 1);
  CHECK(has(v11[0].message, "cannot be executed from a function"));
  CHECK(run(kHist + block, "adding-enum-value", pg(12)).empty());
  auto used = run(kHist +
                      "DO $$ BEGIN ALTER TYPE status ADD VALUE 'gone'; UPDATE users SET s = 'gone' WHERE id = 1; "
                      "END $$;",
                  "adding-enum-value");
  REQUIRE(used.size() == 1);
  CHECK(has(used[0].message, "DO block"));
  CHECK(run(kHist + "DO $$ BEGIN ALTER TYPE status ADD VALUE 'gone'; UPDATE users SET s = 'active' WHERE id = 1; "
                    "END $$;",
            "adding-enum-value")
            .empty());
}

TEST_CASE("EXECUTE format(...) of constants in a DO block is analysed; SQL built from variables is a hint") {
  // format() with %I and %L, || concatenation, positional arguments: the statement it builds is linted.
  CHECK(run(kHist + "DO $$ BEGIN EXECUTE format('TRUNCATE %I', 'orders'); END $$;", "truncate-table").size() == 1);
  CHECK(run(kHist + "DO $$ BEGIN EXECUTE 'TRUNCATE ' || 'orders'; END $$;", "truncate-table").size() == 1);
  CHECK(run(kHist + "DO $$ BEGIN EXECUTE format('ALTER TABLE %1$I ALTER COLUMN %2$I TYPE %3$s', 'users', 'id', "
                    "'int'); END $$;",
            "changing-column-type")
            .size() == 1);
  CHECK(run(kHist + "DO $$ BEGIN EXECUTE format('TRUNCATE %I', 'orders'); END $$;", "dynamic-sql").empty());
  // Built from a variable: not analysable, and said so.
  auto dyn = run(kHist + "DO $$ DECLARE t text := 'orders'; BEGIN EXECUTE format('TRUNCATE %I', t); END $$;",
                 "dynamic-sql");
  REQUIRE(dyn.size() == 1);
  CHECK(dyn[0].severity == Severity::Hint);
  CHECK(run(kHist + "DO $$ DECLARE t text := 'orders'; BEGIN EXECUTE format('TRUNCATE %I', t); END $$;",
            "truncate-table")
            .empty());
}

TEST_CASE("backfill-in-migration: UPDATE or DELETE before DDL on the table in one transaction") {
  // UPDATE then SET NOT NULL: the UPDATE's row locks are held while SET NOT NULL waits for ACCESS EXCLUSIVE.
  auto upd = run(kHist + "BEGIN;\nUPDATE users SET active = false WHERE active IS NULL;\n"
                         "ALTER TABLE users ALTER active SET NOT NULL;\nCOMMIT;",
                 "backfill-in-migration");
  REQUIRE(upd.size() == 1);
  CHECK(upd[0].start.line == 2);
  CHECK(upd[0].severity == Severity::Error);
  CHECK(has(upd[0].message, "UPDATE on `users` runs in the same transaction as DDL on it at line 3"));
  CHECK(has(upd[0].message, "waits for its ACCESS EXCLUSIVE lock (blocks reads and writes) on `users`"));
  CHECK(has(upd[0].message, "until COMMIT"));
  CHECK(has(upd[0].help, "before the DDL's transaction"));
  // DELETE then ADD CONSTRAINT; several writes before the DDL: one finding per table and transaction.
  auto del = run(kHist + "BEGIN;\nDELETE FROM orders WHERE user_id IS NULL;\nDELETE FROM orders WHERE id < 0;\n"
                         "ALTER TABLE orders ADD CONSTRAINT o_u CHECK (user_id IS NOT NULL) NOT VALID;\nCOMMIT;",
                 "backfill-in-migration");
  REQUIRE(del.size() == 1);
  CHECK(del[0].start.line == 2);
  CHECK(has(del[0].message, "DELETE on `orders`"));
  CHECK(has(del[0].message, "with 1 more backfill statement"));
  CHECK(has(del[0].help, "DELETE FROM \"orders\" WHERE id IN"));
  // The runner's transaction (per file) counts; autocommit, another table, or a COMMIT between do not.
  const std::string pair = "UPDATE users SET active = false WHERE active IS NULL;\nALTER TABLE users ALTER active SET NOT NULL;\n";
  CHECK(run(kHist + pair, "backfill-in-migration", pg(15, TxMode::PerFile)).size() == 1);
  CHECK(run(kHist + pair, "backfill-in-migration").empty());
  CHECK(run(kHist + "BEGIN;\nUPDATE users SET active = false WHERE active IS NULL;\nALTER TABLE orders ADD COLUMN n text;\nCOMMIT;",
            "backfill-in-migration")
            .empty());
  CHECK(run(kHist + "BEGIN;\nUPDATE users SET active = false WHERE active IS NULL;\nCOMMIT;\n"
                    "BEGIN;\nALTER TABLE users ALTER active SET NOT NULL;\nCOMMIT;",
            "backfill-in-migration")
            .empty());
  // DDL whose lock lets writes through (VALIDATE: SHARE UPDATE EXCLUSIVE) adds nothing to the row locks.
  CHECK(run(kHist + "BEGIN;\nUPDATE orders SET user_id = 1 WHERE user_id = 0;\n"
                    "ALTER TABLE orders VALIDATE CONSTRAINT o_u;\nCOMMIT;",
            "backfill-in-migration")
            .empty());
  // INSERT ... VALUES takes no row locks on existing rows: silent.
  CHECK(run(kHist + "BEGIN;\nINSERT INTO users (id) VALUES (1);\nALTER TABLE users ADD COLUMN n text;\nCOMMIT;",
            "backfill-in-migration")
            .empty());
  // A DO block is one transaction: UPDATE then DDL inside it.
  auto dob = run(kHist + "DO $$ BEGIN UPDATE users SET active = false WHERE active IS NULL; "
                         "ALTER TABLE users ALTER active SET NOT NULL; END $$;",
                 "backfill-in-migration");
  REQUIRE(dob.size() == 1);
  CHECK(has(dob[0].message, "later in this DO block"));
  // A DELETE after DDL holds the DDL's lock like an UPDATE does.
  CHECK(run(kHist + "BEGIN;\nALTER TABLE orders ADD COLUMN n text;\nDELETE FROM orders WHERE id < 0;\nCOMMIT;",
            "backfill-in-migration")
            .size() == 1);
}

}  // namespace unit_rules_transaction_data_test
