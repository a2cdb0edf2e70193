// Exemptions, version gates and transaction handling of the locking rules (reindex-non-concurrent,
// adding-exclusion-constraint, validate-in-same-transaction, partitions, refresh, lock-table,
// trigger-ddl, missing-lock-timeout, wide-lock-window).
#include <doctest/doctest.h>

#include "tests/support/lint_helpers.h"

using namespace pgstage;

namespace {

std::vector<Finding> run(const std::string& sql, const std::string& rule, LintOptions opts = {}) {
  opts.enable.insert(rule);
  return test::findings_of(test::lint_text(sql, opts), rule);
}
LintOptions pg(int version) {
  LintOptions o;
  o.settings.pg_version = version;
  return o;
}
LintOptions per_file() {
  LintOptions o;
  o.settings.transaction = TxMode::PerFile;
  return o;
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const std::string kUsers =
    "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\n"
    "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric);\n-- pgstage:history-end\n";

}  // namespace

TEST_CASE("reindex-non-concurrent: concurrently, new objects and the PG 12 gate") {
  CHECK(run(kUsers + "REINDEX TABLE users;", "reindex-non-concurrent").size() == 1);
  CHECK(run(kUsers + "REINDEX TABLE CONCURRENTLY users;", "reindex-non-concurrent").empty());
  CHECK(run(kUsers + "REINDEX (CONCURRENTLY) INDEX users_email_idx;", "reindex-non-concurrent").empty());
  CHECK(run("CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\nREINDEX INDEX t_id;", "reindex-non-concurrent")
            .empty());
  CHECK(run("CREATE TABLE t (id int);\nREINDEX TABLE t;", "reindex-non-concurrent").empty());
  auto v15 = run(kUsers + "REINDEX INDEX users_email_idx;", "reindex-non-concurrent");
  REQUIRE(v15.size() == 1);
  CHECK(has(v15[0].help, "REINDEX INDEX CONCURRENTLY \"users_email_idx\""));
  CHECK(v15[0].plannable);
  auto v11 = run(kUsers + "REINDEX INDEX users_email_idx;", "reindex-non-concurrent", pg(11));
  REQUIRE(v11.size() == 1);
  CHECK(has(v11[0].message, "needs PostgreSQL 12"));
  CHECK(has(v11[0].message, "pg_version is 11"));
  CHECK(!has(v11[0].help, "REINDEX INDEX CONCURRENTLY"));
  CHECK(run("REINDEX DATABASE app;", "reindex-non-concurrent").size() == 1);
}

TEST_CASE("adding-exclusion-constraint: existing tables only") {
  const std::string ex = " ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);";
  auto f = run("CREATE TABLE b (room int, during tsrange);\n-- pgstage:history-end\nALTER TABLE b" + ex,
               "adding-exclusion-constraint");
  REQUIRE(f.size() == 1);
  CHECK(has(f[0].message, "ACCESS EXCLUSIVE"));
  CHECK(run("CREATE TABLE b (room int, during tsrange);\nALTER TABLE b" + ex, "adding-exclusion-constraint").empty());
  CHECK(run("CREATE TABLE b (room int, during tsrange);\n-- pgstage:history-end\nALTER TABLE b ADD CHECK (room > 0);",
            "adding-exclusion-constraint")
            .empty());
}

TEST_CASE("validate-in-same-transaction: same transaction, runner wrapping, held locks") {
  const std::string add = "ALTER TABLE orders ADD CONSTRAINT pos CHECK (total >= 0) NOT VALID;\n";
  const std::string val = "ALTER TABLE orders VALIDATE CONSTRAINT pos;\n";
  CHECK(run(kUsers + "BEGIN;\n" + add + val + "COMMIT;", "validate-in-same-transaction").size() == 1);
  CHECK(run(kUsers + add + val, "validate-in-same-transaction").empty());  // autocommit: separate transactions
  CHECK(run(kUsers + "BEGIN;\n" + add + "COMMIT;\nBEGIN;\n" + val + "COMMIT;", "validate-in-same-transaction").empty());
  // The runner wraps the file: one transaction.
  CHECK(run(kUsers + add + val, "validate-in-same-transaction", per_file()).size() == 1);
  CHECK(run(kUsers + "-- pgstage:no-transaction\n" + add + val, "validate-in-same-transaction", per_file()).empty());
  // Unnamed NOT VALID constraint validated by its Postgres-generated name.
  CHECK(run(kUsers + "BEGIN;\nALTER TABLE orders ADD CHECK (total >= 0) NOT VALID;\n"
                     "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\nCOMMIT;",
            "validate-in-same-transaction")
            .size() == 1);
  // A constraint added NOT VALID earlier, validated after other write-blocking DDL in the transaction.
  const std::string hist = "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n"
                           "ALTER TABLE orders ADD CONSTRAINT pos CHECK (total >= 0) NOT VALID;\n"
                           "-- pgstage:history-end\n";
  auto held = run(hist + "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\n" + val + "COMMIT;",
                  "validate-in-same-transaction");
  REQUIRE(held.size() == 1);
  CHECK(has(held[0].message, "ACCESS EXCLUSIVE"));
  CHECK(run(hist + "BEGIN;\n" + val + "COMMIT;", "validate-in-same-transaction").empty());
  // Locks on tables created in the transaction do not count.
  CHECK(run(hist + "BEGIN;\nCREATE TABLE x (id int);\nALTER TABLE x ADD COLUMN y int;\n" + val + "COMMIT;",
            "validate-in-same-transaction")
            .empty());
}

TEST_CASE("detach-partition-non-concurrent: the PG 14 gate") {
  const std::string h = "CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);\n"
                        "CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n"
                        "-- pgstage:history-end\n";
  auto v15 = run(h + "ALTER TABLE ev DETACH PARTITION ev_2020;", "detach-partition-non-concurrent");
  REQUIRE(v15.size() == 1);
  CHECK(has(v15[0].help, "DETACH PARTITION \"ev_2020\" CONCURRENTLY"));
  auto v13 = run(h + "ALTER TABLE ev DETACH PARTITION ev_2020;", "detach-partition-non-concurrent", pg(13));
  REQUIRE(v13.size() == 1);
  CHECK(has(v13[0].message, "needs PostgreSQL 14"));
  CHECK(run(h + "ALTER TABLE ev DETACH PARTITION ev_2020 CONCURRENTLY;", "detach-partition-non-concurrent").empty());
  CHECK(run(h + "ALTER TABLE ev DETACH PARTITION ev_2020 FINALIZE;", "detach-partition-non-concurrent").empty());
  CHECK(run("CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);\n"
            "CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n"
            "ALTER TABLE ev DETACH PARTITION ev_1;",
            "detach-partition-non-concurrent")
            .empty());
}

TEST_CASE("attach-partition-scan: new partitions and validated checks") {
  const std::string h = "CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);\n"
                        "CREATE TABLE ev_2024 (id bigint, at date);\n";
  const std::string attach = "ALTER TABLE ev ATTACH PARTITION ev_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
  CHECK(run(h + "-- pgstage:history-end\n" + attach, "attach-partition-scan").size() == 1);
  CHECK(run(h + attach, "attach-partition-scan").empty());  // partition created in the change set
  const std::string check = "ALTER TABLE ev_2024 ADD CONSTRAINT b CHECK (at >= '2024-01-01' AND at < '2025-01-01')";
  CHECK(run(h + check + " NOT VALID;\n-- pgstage:history-end\n" + attach, "attach-partition-scan").size() == 1);
  CHECK(run(h + check + " NOT VALID;\n-- pgstage:history-end\nALTER TABLE ev_2024 VALIDATE CONSTRAINT b;\n" + attach,
            "attach-partition-scan")
            .empty());
  auto v11 = run(h + "-- pgstage:history-end\n" + attach, "attach-partition-scan", pg(11));
  REQUIRE(v11.size() == 1);
  CHECK(has(v11[0].message, "before PostgreSQL 12"));
}

TEST_CASE("refresh-matview-blocking, lock-table: new objects are exempt") {
  const std::string mv = "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS id;\n";
  CHECK(run(mv + "-- pgstage:history-end\nREFRESH MATERIALIZED VIEW mv;", "refresh-matview-blocking").size() == 1);
  CHECK(run(mv + "REFRESH MATERIALIZED VIEW mv;", "refresh-matview-blocking").empty());
  CHECK(run(mv + "-- pgstage:history-end\nREFRESH MATERIALIZED VIEW CONCURRENTLY mv;", "refresh-matview-blocking")
            .empty());
  auto lt = run(kUsers + "BEGIN;\nLOCK TABLE users IN SHARE MODE;\nCOMMIT;", "lock-table");
  REQUIRE(lt.size() == 1);
  CHECK(has(lt[0].message, "SHARE lock (blocks writes)"));
  CHECK(run("CREATE TABLE t (id int);\nLOCK TABLE t;", "lock-table").empty());
}

TEST_CASE("trigger-ddl: every trigger action on an existing table") {
  CHECK(run(kUsers + "ALTER TABLE users DISABLE TRIGGER ALL;", "trigger-ddl").size() == 1);
  CHECK(run(kUsers + "ALTER TABLE users ENABLE TRIGGER users_audit;", "trigger-ddl").size() == 1);
  auto drop = run(kUsers + "DROP TRIGGER users_audit ON users;", "trigger-ddl");
  REQUIRE(drop.size() == 1);
  CHECK(has(drop[0].message, "ACCESS EXCLUSIVE"));
  auto create = run(kUsers + "CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION f();", "trigger-ddl");
  REQUIRE(create.size() == 1);
  CHECK(has(create[0].message, "SHARE ROW EXCLUSIVE"));
  CHECK(run("CREATE TABLE t (id int);\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
            "trigger-ddl")
            .empty());
}

TEST_CASE("missing-lock-timeout: once per file, runner pgstage, SET lock_timeout") {
  const std::string two = "ALTER TABLE users ADD COLUMN a text;\nALTER TABLE orders ADD COLUMN b text;\n";
  auto f = run(kUsers + two, "missing-lock-timeout");
  REQUIRE(f.size() == 1);
  CHECK(f[0].start.line == 1);
  CHECK(has(f[0].message, "`users`"));
  LintOptions pgs;
  pgs.settings.runner = Runner::Pgstage;
  CHECK(run(kUsers + two, "missing-lock-timeout", pgs).empty());
  CHECK(run(kUsers + "SET lock_timeout = '2s';\n" + two, "missing-lock-timeout").empty());
  CHECK(run(kUsers + "SET lock_timeout = 0;\n" + two, "missing-lock-timeout").size() == 1);
  CHECK(run(kUsers + "SET lock_timeout = '2s';\nRESET lock_timeout;\n" + two, "missing-lock-timeout").size() == 1);
  // SET LOCAL ends with its transaction.
  auto local = run(kUsers + "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE users ADD COLUMN a text;\nCOMMIT;\n"
                            "ALTER TABLE orders ADD COLUMN b text;",
                   "missing-lock-timeout");
  REQUIRE(local.size() == 1);
  CHECK(has(local[0].message, "`orders`"));
  // Tables created in the change set, and locks that block neither reads nor writes, are exempt.
  CHECK(run("CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN a text;", "missing-lock-timeout").empty());
  CHECK(run(kUsers + "CREATE INDEX CONCURRENTLY users_id ON users (id);\nSELECT 1;", "missing-lock-timeout").empty());
  CHECK(run(kUsers + "UPDATE users SET email = lower(email) WHERE id = 1;", "missing-lock-timeout").empty());
}

TEST_CASE("wide-lock-window: once per transaction, again per extra table") {
  auto same = run(kUsers + "BEGIN;\nALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;\n"
                           "ALTER TABLE users ADD COLUMN c text;\nCOMMIT;",
                  "wide-lock-window");
  REQUIRE(same.size() == 1);
  CHECK(same[0].start.line == 3);
  auto two = run(kUsers + "BEGIN;\nALTER TABLE users ADD COLUMN a text;\nALTER TABLE orders ADD COLUMN b text;\nCOMMIT;",
                 "wide-lock-window");
  REQUIRE(two.size() == 1);
  CHECK(has(two[0].message, "`users`, `orders`"));
  CHECK(run(kUsers + "ALTER TABLE users ADD COLUMN a text;\nALTER TABLE orders ADD COLUMN b text;", "wide-lock-window")
            .empty());
  CHECK(run(kUsers + "ALTER TABLE users ADD COLUMN a text;\nALTER TABLE orders ADD COLUMN b text;", "wide-lock-window",
            per_file())
            .size() == 1);
  CHECK(run(kUsers + "BEGIN;\nALTER TABLE users ADD COLUMN a text;\nSET lock_timeout = '1s';\nCOMMIT;",
            "wide-lock-window")
            .empty());
  CHECK(run("BEGIN;\nCREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN a text;\nALTER TABLE t ADD COLUMN b text;\n"
            "COMMIT;",
            "wide-lock-window")
            .empty());
}

TEST_CASE("locking rules fire inside DO blocks and not inside function bodies") {
  CHECK(run(kUsers + "DO $$ BEGIN REINDEX TABLE users; END $$;", "reindex-non-concurrent").size() == 1);
  CHECK(run(kUsers + "DO $$ BEGIN EXECUTE 'LOCK TABLE users'; END $$;", "lock-table").size() == 1);
  CHECK(run(kUsers + "DO $$ BEGIN ALTER TABLE users DISABLE TRIGGER ALL; END $$;", "trigger-ddl").size() == 1);
  CHECK(run(kUsers + "DO $$ BEGIN ALTER TABLE users ADD COLUMN a text; END $$;", "missing-lock-timeout").size() == 1);
  CHECK(run(kUsers + "BEGIN;\nALTER TABLE orders ADD CONSTRAINT pos CHECK (total >= 0) NOT VALID;\n"
                     "DO $$ BEGIN ALTER TABLE orders VALIDATE CONSTRAINT pos; END $$;\nCOMMIT;",
            "validate-in-same-transaction")
            .size() == 1);
  const std::string fn = "CREATE FUNCTION maint() RETURNS void LANGUAGE plpgsql AS $$ BEGIN REINDEX TABLE users; "
                         "LOCK TABLE users; ALTER TABLE users DISABLE TRIGGER ALL; END $$;";
  auto r = test::lint_text(kUsers + fn);
  CHECK(test::findings_of(r, "reindex-non-concurrent").empty());
  CHECK(test::findings_of(r, "lock-table").empty());
  CHECK(test::findings_of(r, "trigger-ddl").empty());
  CHECK(test::findings_of(r, "missing-lock-timeout").empty());
}

TEST_CASE("reindex-non-concurrent: (CONCURRENTLY false) is not concurrent") {
  CHECK(run(kUsers + "REINDEX (CONCURRENTLY false) TABLE users;", "reindex-non-concurrent").size() == 1);
  CHECK(run(kUsers + "REINDEX (CONCURRENTLY true) TABLE users;", "reindex-non-concurrent").empty());
}

TEST_CASE("lock-table: outside a transaction block it also says that it fails") {
  auto f = run(kUsers + "LOCK TABLE users;", "lock-table");
  REQUIRE(f.size() == 1);
  CHECK(has(f[0].message, "can only be used in transaction blocks"));
  CHECK(!has(run(kUsers + "BEGIN;\nLOCK TABLE users;\nCOMMIT;", "lock-table")[0].message, "can only be used"));
}

TEST_CASE("validate-in-same-transaction and wide-lock-window inside one DO block") {
  CHECK(run(kUsers + "DO $$ BEGIN ALTER TABLE orders ADD CONSTRAINT pos CHECK (total >= 0) NOT VALID; "
                     "ALTER TABLE orders VALIDATE CONSTRAINT pos; END $$;",
            "validate-in-same-transaction")
            .size() == 1);
  CHECK(run("DO $$ BEGIN CREATE TABLE t (n int); ALTER TABLE t ADD CONSTRAINT pos CHECK (n >= 0) NOT VALID; "
            "ALTER TABLE t VALIDATE CONSTRAINT pos; END $$;",
            "validate-in-same-transaction")
            .empty());
  auto w = run(kUsers + "DO $$ BEGIN ALTER TABLE users ADD COLUMN a text; ALTER TABLE orders ADD COLUMN b text; "
                        "END $$;",
               "wide-lock-window");
  REQUIRE(w.size() == 1);
  CHECK(has(w[0].message, "DO block"));
  CHECK(run(kUsers + "DO $$ BEGIN ALTER TABLE users ADD COLUMN a text; END $$;", "wide-lock-window").empty());
  CHECK(run("DO $$ BEGIN CREATE TABLE t (n int); ALTER TABLE t ADD COLUMN a text; ALTER TABLE t ADD COLUMN b text; "
            "END $$;",
            "wide-lock-window")
            .empty());
}

TEST_CASE("missing-lock-timeout: a table created earlier in the same DO block is new") {
  CHECK(run("DO $$ BEGIN CREATE TABLE t (n int); ALTER TABLE t ADD COLUMN a text; END $$;", "missing-lock-timeout")
            .empty());
  CHECK(run(kUsers + "DO $$ BEGIN CREATE TABLE t (n int); ALTER TABLE users ADD COLUMN a text; END $$;",
            "missing-lock-timeout")
            .size() == 1);
}

TEST_CASE("wide-lock-window: dropping and re-creating a view in one transaction is silent") {
  const std::string h = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
                        "CREATE VIEW active_users AS SELECT id FROM users;\n-- pgstage:history-end\n";
  CHECK(run(h + "BEGIN;\nDROP VIEW active_users;\nCREATE VIEW active_users AS SELECT id, email FROM users;\n"
                "CREATE TABLE x (id int);\nCOMMIT;",
            "wide-lock-window")
            .empty());
  CHECK(run(h + "BEGIN;\nDROP VIEW active_users;\nALTER TABLE users ADD COLUMN a text;\nCOMMIT;", "wide-lock-window")
            .size() == 1);
}
