// Exemptions, version gates and transaction handling of the locking rules (reindex-non-concurrent,
// adding-exclusion-constraint, validate-in-same-transaction, partitions, refresh, lock-table,
// trigger-ddl, missing-lock-timeout, wide-lock-window).
#include <doctest/doctest.h>

#include "analyzer/types.h"
#include "tests/support/lint_helpers.h"

namespace unit_rules_locking_more_test {

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
  const std::string hist =
      "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n"
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

TEST_CASE("drop-index-non-concurrent: a partitioned index cannot be dropped concurrently; the help says so") {
  const std::string h =
      "CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);\n"
      "CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n"
      "CREATE INDEX ev_at ON ev (at);\nCREATE INDEX ev_2020_id ON ev_2020 (id);\n-- pgstage:history-end\n";
  auto f = run(h + "DROP INDEX ev_at;", "drop-index-non-concurrent");
  REQUIRE(f.size() == 1);
  CHECK(has(f[0].message, "on partitioned table"));
  CHECK(has(f[0].help, "cannot drop a partitioned index CONCURRENTLY"));
  CHECK(!has(f[0].help, "DROP INDEX CONCURRENTLY"));
  // A partition's own index (not attached to a parent's) can be.
  f = run(h + "DROP INDEX ev_2020_id;", "drop-index-non-concurrent");
  REQUIRE(f.size() == 1);
  CHECK(has(f[0].help, "DROP INDEX CONCURRENTLY \"ev_2020_id\""));
}

TEST_CASE("detach-partition-non-concurrent: the PG 14 gate") {
  const std::string h =
      "CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);\n"
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
  const std::string h =
      "CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);\n"
      "CREATE TABLE ev_2024 (id bigint, at date);\n";
  const std::string attach =
      "ALTER TABLE ev ATTACH PARTITION ev_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
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
  auto create =
      run(kUsers + "CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION f();", "trigger-ddl");
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
  auto local = run(kUsers +
                       "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE users ADD COLUMN a text;\nCOMMIT;\n"
                       "ALTER TABLE orders ADD COLUMN b text;",
                   "missing-lock-timeout");
  REQUIRE(local.size() == 1);
  CHECK(has(local[0].message, "`orders`"));
  // Tables created in the change set, and locks that block neither reads nor writes, are exempt.
  CHECK(run("CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN a text;", "missing-lock-timeout").empty());
  CHECK(run(kUsers + "CREATE INDEX CONCURRENTLY users_id ON users (id);\nSELECT 1;", "missing-lock-timeout").empty());
  CHECK(run(kUsers + "UPDATE users SET email = lower(email) WHERE id = 1;", "missing-lock-timeout").empty());
}

TEST_CASE("wide-lock-window: once per transaction, naming every table it locks") {
  auto same = run(kUsers +
                      "BEGIN;\nALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;\n"
                      "ALTER TABLE users ADD COLUMN c text;\nCOMMIT;",
                  "wide-lock-window");
  REQUIRE(same.size() == 1);
  CHECK(same[0].start.line == 3);
  CHECK(has(same[0].message, "while 2 more statements run, until the COMMIT at line"));
  auto two =
      run(kUsers + "BEGIN;\nALTER TABLE users ADD COLUMN a text;\nALTER TABLE orders ADD COLUMN b text;\nCOMMIT;",
          "wide-lock-window");
  REQUIRE(two.size() == 1);
  CHECK(has(two[0].message, "`users`, `orders`"));
  CHECK(has(two[0].help, "ALTER TABLE \"orders\""));
  // Tables locked later in the same transaction are named in the one finding, not in new ones.
  auto many = run(kUsers +
                      "BEGIN;\nALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;\n"
                      "ALTER TABLE orders ADD COLUMN c text;\nUPDATE orders SET c = 'x' WHERE id = 1;\n"
                      "ALTER TABLE users ADD COLUMN d text;\nCOMMIT;\n"
                      "BEGIN;\nALTER TABLE orders ADD COLUMN e text;\nALTER TABLE users ADD COLUMN f text;\nCOMMIT;",
                  "wide-lock-window");
  REQUIRE(many.size() == 2);  // one per transaction
  CHECK(many[0].start.line == 3);
  CHECK(has(many[0].message, "`users`, `orders`"));
  CHECK(has(many[0].message, "(4 statements run after the first lock)"));
  CHECK(many[1].start.line == 10);
  CHECK(has(many[1].message, "`orders`, `users`"));
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
  const std::string fn =
      "CREATE FUNCTION maint() RETURNS void LANGUAGE plpgsql AS $$ BEGIN REINDEX TABLE users; "
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
  auto w = run(kUsers +
                   "DO $$ BEGIN ALTER TABLE users ADD COLUMN a text; ALTER TABLE orders ADD COLUMN b text; "
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
  const std::string h =
      "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
      "CREATE VIEW active_users AS SELECT id FROM users;\n-- pgstage:history-end\n";
  CHECK(run(h + "BEGIN;\nDROP VIEW active_users;\nCREATE VIEW active_users AS SELECT id, email FROM users;\n"
                "CREATE TABLE x (id int);\nCOMMIT;",
            "wide-lock-window")
            .empty());
  CHECK(run(h + "BEGIN;\nDROP VIEW active_users;\nALTER TABLE users ADD COLUMN a text;\nCOMMIT;", "wide-lock-window")
            .size() == 1);
}

TEST_CASE("reindex-non-concurrent: REINDEX SYSTEM is not told to use CONCURRENTLY (Postgres refuses it)") {
  auto f = run("REINDEX SYSTEM app;", "reindex-non-concurrent");
  REQUIRE(f.size() == 1);
  CHECK_FALSE(has(f[0].help, "REINDEX SYSTEM CONCURRENTLY"));
  CHECK(has(f[0].help, "cannot be reindexed concurrently"));
  // Schema and database keep the online advice.
  auto s = run("REINDEX SCHEMA app;", "reindex-non-concurrent");
  REQUIRE(s.size() == 1);
  CHECK(has(s[0].help, "REINDEX SCHEMA CONCURRENTLY"));
}

TEST_CASE("create-index-non-concurrent on a partitioned table gives the ON ONLY / ATTACH PARTITION recipe") {
  const std::string h =
      "CREATE TABLE events (id bigint, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);\n"
      "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n"
      "CREATE TABLE events_2027 (id bigint, at timestamptz NOT NULL, kind text);\n"
      "ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');\n"
      "-- pgstage:history-end\n";
  auto f = run(h + "CREATE INDEX events_kind_idx ON events (kind);", "create-index-non-concurrent");
  REQUIRE(f.size() == 1);
  CHECK(has(f[0].message, "partitioned table"));
  CHECK(has(f[0].help, "CREATE INDEX \"events_kind_idx\" ON ONLY \"events\" (\"kind\");"));
  CHECK(has(f[0].help, "CREATE INDEX CONCURRENTLY \"events_2026_kind_idx\" ON \"events_2026\" (\"kind\");"));
  CHECK(has(f[0].help, "ALTER INDEX \"events_kind_idx\" ATTACH PARTITION \"events_2027_kind_idx\";"));
  // The parent alone (step one of the recipe) is not a finding; a plain table's ON ONLY still is.
  CHECK(run(h + "CREATE INDEX events_at_idx ON ONLY events (at);", "create-index-non-concurrent").empty());
  CHECK(run(kUsers + "CREATE INDEX orders_total_idx ON ONLY orders (total);", "create-index-non-concurrent").size() ==
        1);
  // A detached partition is no longer listed.
  auto d = run(h + "ALTER TABLE events DETACH PARTITION events_2027;\nCREATE INDEX e_k ON events (kind);",
               "create-index-non-concurrent");
  REQUIRE(d.size() == 1);
  CHECK_FALSE(has(d[0].help, "events_2027"));
}

TEST_CASE("adding-foreign-key: a new table filled by CREATE TABLE AS has rows to validate") {
  auto f = run(kUsers + "CREATE TABLE big_orders AS SELECT * FROM orders WHERE total > 100;\n"
                        "ALTER TABLE big_orders ADD CONSTRAINT bo_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
               "adding-foreign-key");
  REQUIRE(f.size() == 1);
  CHECK(has(f[0].message, "validates every row copied into `big_orders` from `orders`"));
  CHECK(f[0].severity == Severity::Error);  // writes to `users` wait for the scan
  CHECK(has(f[0].message, "holds a SHARE ROW EXCLUSIVE lock (blocks writes) on `users` meanwhile"));
  CHECK(has(f[0].help, "NOT VALID"));
  // WITH NO DATA, a plain CREATE TABLE or NOT VALID: nothing to say.
  CHECK(run(kUsers + "CREATE TABLE bo AS SELECT * FROM orders WITH NO DATA;\n"
                     "ALTER TABLE bo ADD FOREIGN KEY (user_id) REFERENCES users (id);",
            "adding-foreign-key")
            .empty());
  CHECK(run(kUsers + "CREATE TABLE bo (id bigint, user_id bigint);\n"
                     "ALTER TABLE bo ADD FOREIGN KEY (user_id) REFERENCES users (id);",
            "adding-foreign-key")
            .empty());
  CHECK(run(kUsers + "CREATE TABLE bo AS SELECT * FROM orders;\n"
                     "ALTER TABLE bo ADD FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
            "adding-foreign-key")
            .empty());
  // A referenced table that is new too: the scan blocks no query, it only lengthens the migration.
  auto lone = run(kUsers + "CREATE TABLE p (id bigint PRIMARY KEY);\nCREATE TABLE bo AS SELECT * FROM orders;\n"
                           "ALTER TABLE bo ADD FOREIGN KEY (user_id) REFERENCES p (id);",
                  "adding-foreign-key");
  REQUIRE(lone.size() == 1);
  CHECK(lone[0].severity == Severity::Warning);
  CHECK(has(lone[0].message, "the running release does not use it, so its lock blocks no query"));
}

TEST_CASE("adding-foreign-key: inline REFERENCES on a column added without a default is not validated") {
  CHECK(run(kUsers + "ALTER TABLE orders ADD COLUMN buyer_id bigint REFERENCES users (id);", "adding-foreign-key")
            .empty());
  CHECK(run(kUsers + "ALTER TABLE orders ADD COLUMN buyer_id bigint DEFAULT 1 REFERENCES users (id);",
            "adding-foreign-key")
            .size() == 1);
  // Validation is decided for the whole statement: a default anywhere in it turns it on.
  CHECK(run(kUsers + "ALTER TABLE orders ADD COLUMN b bigint REFERENCES users (id), ADD COLUMN n int DEFAULT 0;",
            "adding-foreign-key")
            .size() == 1);
  auto lint = test::lint_text(kUsers + "ALTER TABLE orders ADD COLUMN buyer_id bigint REFERENCES users (id);");
  REQUIRE(lint.statements.size() >= 1);
  CHECK_FALSE(lint.statements.back().lock.scan);
  auto chk = test::lint_text(kUsers + "ALTER TABLE orders ADD COLUMN rank int CHECK (rank > 0);");
  CHECK(chk.statements.back().lock.scan);  // a CHECK on a new column still checks every row
}

TEST_CASE("lock-table inside a DO block is not said to fail outside a transaction block") {
  auto f = run(kUsers + "DO $$ BEGIN LOCK TABLE users IN SHARE MODE; END $$;", "lock-table");
  REQUIRE(f.size() == 1);
  CHECK_FALSE(has(f[0].message, "can only be used in transaction blocks"));
  auto plain = run(kUsers + "LOCK TABLE users;", "lock-table");
  REQUIRE(plain.size() == 1);
  CHECK(has(plain[0].message, "can only be used in transaction blocks"));
}

TEST_CASE("changing-column-type timestamp -> timestamptz depends on the session TimeZone (PG 12+)") {
  const std::string h = "CREATE TABLE ev (id bigint PRIMARY KEY, at timestamp);\n-- pgstage:history-end\n";
  const std::string sql = h + "ALTER TABLE ev ALTER COLUMN at TYPE timestamptz;";
  // Unknown zone: a warning that says it depends, not an error claiming a rewrite.
  auto unknown = run(sql, "changing-column-type");
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].severity == Severity::Warning);
  CHECK(has(unknown[0].message, "TimeZone"));
  LintOptions utc;
  utc.settings.timezone = "Etc/UTC";
  auto u = run(sql, "changing-column-type", utc);
  REQUIRE(u.size() == 1);
  CHECK(u[0].severity == Severity::Hint);
  LintOptions berlin;
  berlin.settings.timezone = "Europe/Berlin";
  auto b = run(sql, "changing-column-type", berlin);
  REQUIRE(b.size() == 1);
  CHECK(b[0].severity == Severity::Error);
  CHECK(has(b[0].message, "Europe/Berlin"));
  // Before PG 12 it always rewrites.
  LintOptions old = pg(11);
  old.settings.timezone = "UTC";
  auto o = run(sql, "changing-column-type", old);
  REQUIRE(o.size() == 1);
  CHECK(o[0].severity == Severity::Error);
  CHECK(is_utc_zone("utc"));
  CHECK(is_utc_zone("GMT"));
  CHECK_FALSE(is_utc_zone("Europe/London"));
}

TEST_CASE("adding-check-constraint: domain constraints scan every table using the domain") {
  const std::string hist =
      "CREATE DOMAIN positive AS int;\nCREATE TABLE a (id bigint PRIMARY KEY, n positive);\n"
      "CREATE TABLE b (id bigint PRIMARY KEY, m positive);\nCREATE TABLE c (id bigint PRIMARY KEY);\n"
      "-- pgstage:history-end\n";
  auto f = run(hist + "ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);",
               "adding-check-constraint");
  REQUIRE(f.size() == 1);
  CHECK(has(f[0].message, "checks every column of that domain, in `a`, `b`"));
  CHECK(has(f[0].message, "SHARE lock"));
  auto lint = test::lint_text(hist + "ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);");
  REQUIRE(!lint.statements.empty());
  CHECK(lint.statements.back().lock.scan);
  CHECK(lint.statements.back().lock.mode == LockMode::Share);
  CHECK(run(hist + "ALTER DOMAIN positive SET NOT NULL;", "adding-check-constraint").size() == 1);
  CHECK(run(hist + "ALTER DOMAIN positive ADD CONSTRAINT p CHECK (VALUE > 0) NOT VALID;", "adding-check-constraint")
            .empty());
  CHECK(run(hist + "ALTER DOMAIN positive DROP NOT NULL;", "adding-check-constraint").empty());
  // A domain no table uses yet: nothing to scan.
  CHECK(run("CREATE DOMAIN d2 AS int;\n-- pgstage:history-end\nALTER DOMAIN d2 ADD CONSTRAINT c CHECK (VALUE > 0);",
            "adding-check-constraint")
            .empty());
}

TEST_CASE("adding-check-constraint: NOT VALID IS NOT NULL on a column the running release does not write") {
  auto f = run(kUsers + "ALTER TABLE orders ADD COLUMN note text;\n"
                        "ALTER TABLE orders ADD CONSTRAINT orders_note_nn CHECK (note IS NOT NULL) NOT VALID;",
               "adding-check-constraint");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Error);
  CHECK(has(f[0].message, "does not write `orders.note`"));
  // With a default, or on a column the running release knows, NOT VALID is the safe form.
  CHECK(run(kUsers + "ALTER TABLE orders ADD COLUMN note text DEFAULT '';\n"
                     "ALTER TABLE orders ADD CONSTRAINT orders_note_nn CHECK (note IS NOT NULL) NOT VALID;",
            "adding-check-constraint")
            .empty());
  CHECK(run(kUsers + "ALTER TABLE orders ADD CONSTRAINT orders_total_nn CHECK (total IS NOT NULL) NOT VALID;",
            "adding-check-constraint")
            .empty());
  // A check that NULL passes (note > '') does not reject the running release's INSERTs.
  CHECK(run(kUsers + "ALTER TABLE orders ADD COLUMN note text;\n"
                     "ALTER TABLE orders ADD CONSTRAINT orders_note_c CHECK (note > '') NOT VALID;",
            "adding-check-constraint")
            .empty());
}

TEST_CASE("missing-lock-timeout: an index's own lock is not a table that traffic queues on") {
  CHECK(run(kUsers + "DROP INDEX CONCURRENTLY users_email_idx;", "missing-lock-timeout").empty());
  CHECK(run(kUsers + "REINDEX INDEX CONCURRENTLY users_email_idx;", "missing-lock-timeout").empty());
  // ... and does not use up the one report per file: the ALTER after it is still reported.
  auto f = run(kUsers + "DROP INDEX CONCURRENTLY users_email_idx;\nALTER TABLE orders ADD COLUMN note text;",
               "missing-lock-timeout");
  REQUIRE(f.size() == 1);
  CHECK(f[0].start.line == 2);
  // A plain DROP INDEX locks the table ACCESS EXCLUSIVE: reported, naming the table.
  auto plain = run(kUsers + "DROP INDEX users_email_idx;", "missing-lock-timeout");
  REQUIRE(plain.size() == 1);
  CHECK(has(plain[0].message, "`users`"));
}

TEST_CASE("adding-foreign-key: the message names the strongest lock the transaction holds on each table") {
  const std::string fk = "ALTER TABLE orders ADD CONSTRAINT o_u_fk FOREIGN KEY (user_id) REFERENCES users (id);\n";
  // Alone: SHARE ROW EXCLUSIVE on both.
  auto alone = run(kUsers + fk, "adding-foreign-key");
  REQUIRE(alone.size() == 1);
  CHECK(has(alone[0].message, "holds a SHARE ROW EXCLUSIVE lock (blocks writes) on `orders` and a SHARE ROW "
                              "EXCLUSIVE lock (blocks writes) on `users`: writes to both tables wait"));
  // After ADD COLUMN on orders in the same transaction: ACCESS EXCLUSIVE on orders is held.
  auto tx = run(kUsers + "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\n" + fk + "COMMIT;", "adding-foreign-key");
  REQUIRE(tx.size() == 1);
  CHECK(has(tx[0].message, "holds an ACCESS EXCLUSIVE lock (blocks reads and writes) on `orders` and a SHARE ROW "
                           "EXCLUSIVE lock (blocks writes) on `users`"));
  CHECK(has(tx[0].message, "reads and writes of `orders` and writes to `users` wait"));
  CHECK_FALSE(has(tx[0].message, "SHARE ROW EXCLUSIVE lock (blocks writes) on `orders`"));
  // The same ALTER TABLE: Postgres takes the strongest lock of its subcommands for all of them.
  auto one = run(kUsers +
                     "ALTER TABLE orders ADD COLUMN note text, ADD CONSTRAINT o_u_fk FOREIGN KEY (user_id) "
                     "REFERENCES users (id);",
                 "adding-foreign-key");
  REQUIRE(one.size() == 1);
  CHECK(has(one[0].message, "holds an ACCESS EXCLUSIVE lock (blocks reads and writes) on `orders`"));
  // After a COMMIT the earlier lock is gone.
  auto after = run(kUsers + "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;\n" + fk, "adding-foreign-key");
  REQUIRE(after.size() == 1);
  CHECK(has(after[0].message, "SHARE ROW EXCLUSIVE lock (blocks writes) on `orders`"));
  // A self-reference is one table: one lock, no "both tables".
  auto self = run(kUsers + "ALTER TABLE orders ADD CONSTRAINT o_parent_fk FOREIGN KEY (user_id) REFERENCES orders (id);",
                  "adding-foreign-key");
  REQUIRE(self.size() == 1);
  CHECK(has(self[0].message, "holds a SHARE ROW EXCLUSIVE lock (blocks writes) on `orders`: writes to `orders` wait"));
  CHECK_FALSE(has(self[0].message, "both tables"));
}

TEST_CASE("populated new table: CHECK, UNIQUE, PRIMARY KEY, SET NOT NULL and CREATE INDEX on a copy scan its rows") {
  const std::string copy = "CREATE TABLE bo AS SELECT * FROM orders WHERE total > 100;\n";
  struct Case {
    const char* rule;
    const char* sql;
    const char* says;
  };
  const Case cases[] = {
      {"adding-check-constraint", "ALTER TABLE bo ADD CONSTRAINT bo_pos CHECK (total > 0);", "checks every row"},
      {"adding-unique-constraint", "ALTER TABLE bo ADD CONSTRAINT bo_u UNIQUE (user_id);", "builds its index over"},
      {"adding-primary-key", "ALTER TABLE bo ADD PRIMARY KEY (id);", "builds its index over"},
      {"create-index-non-concurrent", "CREATE INDEX bo_user ON bo (user_id);", "reads and sorts"},
      {"setting-not-null", "ALTER TABLE bo ALTER COLUMN total SET NOT NULL;", "NOT NULL scans every row"},
  };
  for (const Case& k : cases) {
    std::string rule_id = k.rule;
    CAPTURE(rule_id);
    // Alone (autocommit): nothing in use is locked during the scan, a warning.
    auto lone = run(kUsers + copy + k.sql, k.rule);
    REQUIRE(lone.size() == 1);
    CHECK(lone[0].severity == Severity::Warning);
    CHECK(has(lone[0].message, k.says));
    CHECK(has(lone[0].message, "copied into `bo` from `orders`"));
    CHECK(has(lone[0].message, "the running release does not use it"));
    // In a transaction that already holds ACCESS EXCLUSIVE on `users`: traffic on it waits, an error.
    auto held = run(kUsers + "BEGIN;\nALTER TABLE users ADD COLUMN nick text;\n" + copy + k.sql + "\nCOMMIT;", k.rule);
    REQUIRE(held.size() == 1);
    CHECK(held[0].severity == Severity::Error);
    CHECK(has(held[0].message, "holds an ACCESS EXCLUSIVE lock (blocks reads and writes) on `users` meanwhile"));
    // The copy's ACCESS SHARE on `orders` blocks no traffic: still a warning.
    auto source_only = run(kUsers + "BEGIN;\n" + copy + k.sql + "\nCOMMIT;", k.rule);
    REQUIRE(source_only.size() == 1);
    CHECK(source_only[0].severity == Severity::Warning);
    // CREATE TABLE then INSERT ... SELECT fills it the same way.
    auto insert = run(kUsers + "CREATE TABLE bo (id bigint, user_id bigint, total numeric);\n"
                               "INSERT INTO bo SELECT * FROM orders;\n" + k.sql,
                      k.rule);
    REQUIRE(insert.size() == 1);
    CHECK(has(insert[0].message, "copied into `bo` from `orders`"));
    // Silent: an empty new table, a copy WITH NO DATA, a seed table, a copy of an empty new table.
    CHECK(run(kUsers + "CREATE TABLE bo (id bigint, user_id bigint, total numeric);\n" + k.sql, k.rule).empty());
    CHECK(run(kUsers + "CREATE TABLE bo AS SELECT * FROM orders WITH NO DATA;\n" + k.sql, k.rule).empty());
    CHECK(run(kUsers + "CREATE TABLE bo (id bigint, user_id bigint, total numeric);\n"
                       "INSERT INTO bo VALUES (1, 1, 1);\n" + k.sql,
              k.rule)
              .empty());
    CHECK(run(kUsers + "CREATE TABLE e (id bigint, user_id bigint, total numeric);\nCREATE TABLE bo AS SELECT * FROM e;\n" +
                  k.sql,
              k.rule)
              .empty());
    // Rows written by the migration itself (a query of no table, COPY FROM stdin): like a seed table.
    CHECK(run(kUsers + "CREATE TABLE bo (id bigint, user_id bigint, total numeric);\n"
                       "INSERT INTO bo SELECT 1, 1, 1;\n" + k.sql,
              k.rule)
              .empty());
    // A copy of a copy still holds the rows of the table in use.
    std::string on_bo2 = k.sql;
    for (std::string from : {"TABLE bo ", "ON bo ("})
      if (size_t at = on_bo2.find(from); at != std::string::npos)
        on_bo2.replace(at, from.size(), from.substr(0, from.find("bo") + 2) + "2" + from.substr(from.find("bo") + 2));
    auto twice = run(kUsers + copy + "CREATE TABLE bo2 AS SELECT * FROM bo;\n" + on_bo2, k.rule);
    REQUIRE(twice.size() == 1);
    CHECK_MESSAGE(has(twice[0].message, "copied into `bo2` from `bo`"), twice[0].message);
  }
}

}  // namespace unit_rules_locking_more_test
