// Lock facts per statement kind (shared/reference/postgres-ddl.md); the integration suite checks
// the same table against a real server.
#include <doctest/doctest.h>

#include "analyzer/lockfacts.h"
#include "analyzer/lower.h"

namespace unit_lockfacts_test {

using namespace pgstage;

namespace {

struct Facts {
  Catalog catalog;
  int pg = 15;
  LockFacts of(const std::string& sql) {
    SourceFile f = make_source("l.sql", sql, Layout::Plain);
    auto sts = parse_source(f).statements;
    REQUIRE(sts.size() == 1);
    return lock_facts(lower(sts[0], f).changes, LockContext{&catalog, pg});
  }
  void history(const std::string& sql) {
    SourceFile f = make_source("h.sql", sql, Layout::Plain);
    for (auto& st : parse_source(f).statements)
      for (auto& c : lower(st, f).changes) catalog.apply(c, false);
  }
};

LockMode mode_on(const LockFacts& f, const std::string& table) {
  for (auto& t : f.tables)
    if (t.table.name == table) return t.mode;
  return LockMode::None;
}

}  // namespace

TEST_CASE("lock modes per statement kind") {
  Facts fx;
  fx.history(
      "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(50), note text);\n"
      "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n"
      "CREATE INDEX orders_user_idx ON orders (user_id);");
  struct Case {
    const char* sql;
    const char* table;
    LockMode mode;
    bool rewrite, scan;
  };
  const Case cases[] = {
      {"ALTER TABLE users ADD COLUMN a text", "users", LockMode::AccessExclusive, false, false},
      {"ALTER TABLE users ADD COLUMN a timestamptz DEFAULT now()", "users", LockMode::AccessExclusive, false, false},
      {"ALTER TABLE users ADD COLUMN a uuid DEFAULT gen_random_uuid()", "users", LockMode::AccessExclusive, true,
       false},
      {"ALTER TABLE users ADD COLUMN a bigserial", "users", LockMode::AccessExclusive, true, false},
      {"ALTER TABLE users DROP COLUMN note", "users", LockMode::AccessExclusive, false, false},
      {"CREATE POLICY own ON users USING (id > 0)", "users", LockMode::AccessExclusive, false, false},
      {"ALTER POLICY own ON public.users USING (id > 1)", "users", LockMode::AccessExclusive, false, false},
      {"DROP POLICY IF EXISTS own ON public.users", "users", LockMode::AccessExclusive, false, false},
      {"ALTER POLICY own ON users RENAME TO mine", "users", LockMode::AccessExclusive, false, false},
      {"ALTER TABLE users ALTER COLUMN email TYPE varchar(100)", "users", LockMode::AccessExclusive, false, false},
      {"ALTER TABLE users ALTER COLUMN email TYPE int USING email::int", "users", LockMode::AccessExclusive, true,
       false},
      {"ALTER TABLE users ALTER COLUMN note SET NOT NULL", "users", LockMode::AccessExclusive, false, true},
      {"ALTER TABLE users ADD CONSTRAINT c CHECK (id > 0)", "users", LockMode::AccessExclusive, false, true},
      {"ALTER TABLE users ADD CONSTRAINT c CHECK (id > 0) NOT VALID", "users", LockMode::AccessExclusive, false, false},
      {"ALTER TABLE users VALIDATE CONSTRAINT c", "users", LockMode::ShareUpdateExclusive, false, true},
      {"ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id)", "orders", LockMode::ShareRowExclusive,
       false, true},
      {"ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id)", "users", LockMode::ShareRowExclusive,
       false, true},
      {"ALTER TABLE users ADD CONSTRAINT u UNIQUE (email)", "users", LockMode::AccessExclusive, false, true},
      {"CREATE INDEX i ON users (email)", "users", LockMode::Share, false, true},
      {"CREATE INDEX CONCURRENTLY i ON users (email)", "users", LockMode::ShareUpdateExclusive, false, true},
      {"DROP INDEX orders_user_idx", "orders", LockMode::AccessExclusive, false, false},
      {"DROP INDEX CONCURRENTLY orders_user_idx", "orders", LockMode::ShareUpdateExclusive, false, false},
      {"ALTER TABLE users RENAME COLUMN note TO notes", "users", LockMode::AccessExclusive, false, false},
      {"ALTER TABLE users SET LOGGED", "users", LockMode::AccessExclusive, true, false},
      {"ALTER TABLE users SET (fillfactor = 70)", "users", LockMode::ShareUpdateExclusive, false, false},
      {"CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION f()", "users",
       LockMode::ShareRowExclusive, false, false},
      {"DROP TABLE users", "users", LockMode::AccessExclusive, false, false},
      {"TRUNCATE users", "users", LockMode::AccessExclusive, true, false},  // new relfilenode (checked on PG)
      {"LOCK TABLE users IN SHARE MODE", "users", LockMode::Share, false, false},
      {"UPDATE users SET note = 'x'", "users", LockMode::RowExclusive, false, false},
      {"VACUUM FULL users", "users", LockMode::AccessExclusive, true, false},
      {"REFRESH MATERIALIZED VIEW CONCURRENTLY users", "users", LockMode::Exclusive, false,
       false},  // diff-based, no new relfilenode
  };
  for (auto& c : cases) {
    INFO(c.sql << " on " << c.table);
    LockFacts f = fx.of(c.sql);
    CHECK(mode_on(f, c.table) == c.mode);
    CHECK(f.rewrite == c.rewrite);
    CHECK(f.scan == c.scan);
  }
}

TEST_CASE("lock facts depend on the catalog and the version") {
  Facts fx;
  CHECK(fx.of("ALTER TABLE users ALTER COLUMN email TYPE varchar(100)").rewrite_uncertain);
  fx.history(
      "CREATE TABLE users (id bigint PRIMARY KEY, note text);\n"
      "ALTER TABLE users ADD CONSTRAINT note_nn CHECK (note IS NOT NULL);");
  CHECK_FALSE(fx.of("ALTER TABLE users ALTER COLUMN note SET NOT NULL").scan);
  fx.pg = 11;
  CHECK(fx.of("ALTER TABLE users ALTER COLUMN note SET NOT NULL").scan);
  fx.pg = 10;
  CHECK(fx.of("ALTER TABLE users ADD COLUMN a int DEFAULT 0").rewrite);
  fx.pg = 15;
  CHECK_FALSE(fx.of("ALTER TABLE users ADD COLUMN a int DEFAULT 0").rewrite);
}

TEST_CASE("transactional: CONCURRENTLY forms cannot run in a transaction block") {
  Facts fx;
  CHECK_FALSE(fx.of("CREATE INDEX CONCURRENTLY i ON t (a)").transactional);
  CHECK_FALSE(fx.of("DROP INDEX CONCURRENTLY i").transactional);
  CHECK_FALSE(fx.of("REINDEX INDEX CONCURRENTLY i").transactional);
  CHECK(fx.of("CREATE INDEX i ON t (a)").transactional);
}

TEST_CASE("lock conflict matrix") {
  CHECK(blocks_reads(LockMode::AccessExclusive));
  CHECK_FALSE(blocks_reads(LockMode::Exclusive));
  CHECK(blocks_writes(LockMode::Share));
  CHECK_FALSE(blocks_writes(LockMode::ShareUpdateExclusive));
  CHECK(lock_conflicts(LockMode::ShareUpdateExclusive, LockMode::ShareUpdateExclusive));
  CHECK_FALSE(lock_conflicts(LockMode::Share, LockMode::Share));
  CHECK(lock_mode_from_name("AccessExclusiveLock") == LockMode::AccessExclusive);
  CHECK(lock_mode_from_name("share row exclusive") == LockMode::ShareRowExclusive);
}

// One decision of what may run inside a transaction block (apply splits a file on it; lint's
// concurrently-in-transaction and the planner read the same flag). Postgres: PreventInTransactionBlock
// in ExecReindex (REINDEX SCHEMA/SYSTEM/DATABASE, any CONCURRENTLY) and, before 12, in AlterEnum.
TEST_CASE("which statements may run inside a transaction block") {
  Facts fx;
  fx.history(
      "CREATE TABLE t (id bigint PRIMARY KEY);\nCREATE INDEX t_i ON t (id);\nCREATE TYPE mood AS ENUM ('ok');\n");
  struct Case {
    const char* sql;
    int pg;
    bool transactional;
  };
  const Case cases[] = {
      {"REINDEX INDEX t_i", 15, true},
      {"REINDEX TABLE t", 15, true},
      {"REINDEX TABLE CONCURRENTLY t", 15, false},
      {"REINDEX INDEX CONCURRENTLY t_i", 15, false},
      {"REINDEX SCHEMA public", 15, false},
      {"REINDEX DATABASE app", 15, false},
      {"REINDEX SYSTEM app", 15, false},
      {"ALTER TYPE mood ADD VALUE 'sad'", 11, false},
      {"ALTER TYPE mood ADD VALUE 'sad'", 12, true},
      {"ALTER TYPE mood ADD VALUE 'sad'", 15, true},
      {"CREATE INDEX CONCURRENTLY t_j ON t (id)", 15, false},
      {"DROP INDEX CONCURRENTLY t_i", 15, false},
      {"CREATE INDEX t_j ON t (id)", 15, true},
      {"VACUUM t", 15, false},
      {"VACUUM FULL t", 15, false},
      {"ANALYZE t", 15, true},
      {"DROP DATABASE app", 15, false},
      {"ALTER TABLE t ADD COLUMN c int", 15, true},
  };
  for (auto& c : cases) {
    CAPTURE(c.sql);
    CAPTURE(c.pg);
    fx.pg = c.pg;
    CHECK(fx.of(c.sql).transactional == c.transactional);
  }
}

}  // namespace unit_lockfacts_test
