// The planner: the steps each recipe emits, quoting, names, and plan.json round-trips.
#include <doctest/doctest.h>

#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/sql.h"
#include "tests/support/plan_helpers.h"

namespace unit_planner_test {

using namespace pgstage;
using namespace pgstage::planner;
using pgstage::test::phase_text;
using pgstage::test::plan_text;

namespace {
const char* kUsers =
    "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text, age int DEFAULT 0);\n"
    "CREATE INDEX users_name_idx ON users (name);\n"
    "-- pgstage:history-end\n";

std::vector<std::string> kinds(const Plan& p, Phase ph) {
  std::vector<std::string> out;
  for (auto* s : p.steps_of(ph)) out.push_back(s->kind);
  return out;
}
bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }
}  // namespace

TEST_CASE("renaming a column: a copy, two-way sync trigger and backfill; contract renames the old column onto it") {
  auto r = plan_text(std::string(kUsers) + "ALTER TABLE users RENAME COLUMN name TO full_name;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  const Plan& p = r.plan;
  CHECK(kinds(p, Phase::Expand) ==
        std::vector<std::string>{"add-column", "create-trigger", "create-index-concurrently"});
  std::string ex = phase_text(p, Phase::Expand);
  CHECK(has(ex, "ALTER TABLE \"users\" ADD COLUMN IF NOT EXISTS \"full_name\" text"));
  CHECK(has(ex, "IF TG_OP = 'INSERT' THEN"));
  CHECK(has(ex, "NEW.\"full_name\" IS DISTINCT FROM OLD.\"full_name\""));
  CHECK(has(ex, "BEFORE INSERT OR UPDATE ON \"users\""));
  CHECK(has(ex, "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"users_name_idx_pgstage\" ON \"users\" (\"full_name\")"));
  auto bf = p.steps_of(Phase::Backfill);
  REQUIRE(bf.size() == 1);
  REQUIRE(bf[0]->backfill);
  CHECK(bf[0]->backfill->set_sql == "\"full_name\" = \"name\"");
  CHECK(bf[0]->backfill->key_columns == std::vector<std::string>{"id"});
  CHECK(bf[0]->backfill->predicate == "\"full_name\" IS NULL AND \"name\" IS NOT NULL");
  // The old column keeps its NOT NULL, index, constraints, comment and grants: it is renamed onto
  // the copy's name, after the copy (and its index copies) is dropped, in one transaction.
  CHECK(kinds(p, Phase::Contract) == std::vector<std::string>{"rename-column"});
  std::string co = phase_text(p, Phase::Contract);
  auto drop = co.find("ALTER TABLE \"users\" DROP COLUMN IF EXISTS \"full_name\"");
  auto rename = co.find("ALTER TABLE \"users\" RENAME COLUMN \"name\" TO \"full_name\"");
  CHECK(drop != std::string::npos);
  CHECK(rename != std::string::npos);
  CHECK(drop < rename);
  CHECK(has(co, "DROP TRIGGER IF EXISTS \"pgstage_sync_full_name\""));
  CHECK(has(co, "attname = 'name'"));  // re-runnable: does nothing once the old name is gone
  CHECK(p.steps_of(Phase::Contract)[0]->lock.transactional);
  for (auto& s : p.steps) CHECK(s.rule == "renaming-column");
  for (auto* s : p.steps_of(Phase::Expand)) CHECK(s->transactional == (s->kind != "create-index-concurrently"));
}

TEST_CASE("a required column needs a fill value; the error names file, line and column") {
  auto r = plan_text(std::string(kUsers) + "SELECT 1;\nALTER TABLE users ADD COLUMN tier text NOT NULL;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "migration.sql:2:"));
  CHECK(has(r.error, "-- pgstage:fill <expression>"));
  CHECK(has(r.error, "adding-required-column"));
}

TEST_CASE("a required column with -- pgstage:fill: nullable + fill trigger, backfill, NOT NULL via CHECK") {
  auto r =
      plan_text(std::string(kUsers) + "-- pgstage:fill 'free'\nALTER TABLE users ADD COLUMN tier text NOT NULL;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  const Plan& p = r.plan;
  CHECK(kinds(p, Phase::Expand) == std::vector<std::string>{"add-column", "create-trigger"});
  CHECK(has(phase_text(p, Phase::Expand), "NEW.\"tier\" := (SELECT 'free' FROM (SELECT NEW.*) AS pgstage_row)"));
  REQUIRE(p.steps_of(Phase::Backfill).size() == 1);
  CHECK(p.steps_of(Phase::Backfill)[0]->backfill->set_sql == "\"tier\" = ('free')");
  CHECK(kinds(p, Phase::Contract) == std::vector<std::string>{"add-constraint-not-valid", "validate-constraint",
                                                              "set-not-null", "drop-constraint", "drop-trigger"});
  std::string ct = phase_text(p, Phase::Contract);
  CHECK(has(ct, "CHECK (\"tier\" IS NOT NULL) NOT VALID"));
  CHECK(has(ct, "ALTER TABLE \"users\" ALTER COLUMN \"tier\" SET NOT NULL"));
}

TEST_CASE("an empty or doubled fill annotation is an error at its position") {
  auto r = plan_text(std::string(kUsers) + "-- pgstage:fill\nALTER TABLE users ADD COLUMN tier text NOT NULL;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "migration.sql:1:1"));
  r = plan_text(std::string(kUsers) +
                "-- pgstage:fill 1\n-- pgstage:fill 2\nALTER TABLE users ADD COLUMN t int NOT NULL;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "migration.sql:2:1"));
}

TEST_CASE("-- pgstage:fill column = expression: one value per column of a statement that adds several") {
  auto r = plan_text(std::string(kUsers) +
                     "-- pgstage:fill 0\n"
                     "-- pgstage:fill \"Tier\" = lower(name)\n"
                     "ALTER TABLE users ADD COLUMN \"Tier\" text NOT NULL, ADD COLUMN score int NOT NULL,\n"
                     "  ADD COLUMN flag boolean NOT NULL; -- pgstage:fill flag = (age = 0)\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  auto bf = r.plan.steps_of(Phase::Backfill);
  REQUIRE(bf.size() == 3);
  CHECK(bf[0]->backfill->set_sql == "\"Tier\" = (lower(name))");
  CHECK(bf[1]->backfill->set_sql == "\"score\" = (0)");  // the statement's fill without a column
  CHECK(bf[2]->backfill->set_sql == "\"flag\" = ((age = 0))");
  // `x = ...` names a column only when the statement fills one of that name: else it is the expression.
  r = plan_text(std::string(kUsers) + "-- pgstage:fill age = 0\nALTER TABLE users ADD COLUMN adult boolean NOT NULL;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(r.plan.steps_of(Phase::Backfill)[0]->backfill->set_sql == "\"adult\" = (age = 0)");
  // Two values for one column, or two without a column, are ambiguous.
  r = plan_text(std::string(kUsers) +
                "-- pgstage:fill a = 1\n-- pgstage:fill a = 2\nALTER TABLE users ADD COLUMN a int NOT NULL;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "migration.sql:2:1: a second `-- pgstage:fill` for column a"));
  r = plan_text(std::string(kUsers) +
                "-- pgstage:fill 1\n-- pgstage:fill 2\nALTER TABLE users ADD COLUMN a int NOT NULL, ADD b int NOT NULL;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "name the column each one is for"));
}

TEST_CASE("changing a column type: converted shadow column, one-way trigger, swap in contract") {
  auto r = plan_text(std::string(kUsers) + "ALTER TABLE users ALTER COLUMN age TYPE bigint USING age::bigint * 2;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  const Plan& p = r.plan;
  std::string ex = phase_text(p, Phase::Expand);
  CHECK(has(ex, "ADD COLUMN IF NOT EXISTS \"age_pgstage_new\" bigint"));
  CHECK(has(ex, "NEW.\"age_pgstage_new\" := (SELECT (age::bigint * 2) FROM (SELECT NEW.*) AS pgstage_row)"));
  CHECK(p.steps_of(Phase::Backfill)[0]->backfill->set_sql == "\"age_pgstage_new\" = (age::bigint * 2)");
  std::string ct = phase_text(p, Phase::Contract);
  CHECK(has(ct, "ALTER TABLE \"users\" DROP COLUMN \"age\""));
  CHECK(has(ct, "RENAME COLUMN \"age_pgstage_new\" TO \"age\""));
  CHECK(has(ct, "ALTER COLUMN \"age\" SET DEFAULT 0;"));
}

TEST_CASE("changing the type of a key column: its index after the backfill, the key and the foreign keys in the swap") {
  auto r = plan_text(
      "CREATE TABLE users (id int PRIMARY KEY, email text);\n"
      "CREATE TABLE posts (id bigint PRIMARY KEY, user_id int REFERENCES users ON DELETE CASCADE);\n"
      "-- pgstage:history-end\n"
      "ALTER TABLE users ALTER COLUMN id TYPE bigint;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  const Plan& p = r.plan;
  CHECK(kinds(p, Phase::Expand) == std::vector<std::string>{"add-column", "create-trigger"});
  CHECK(kinds(p, Phase::Backfill) == std::vector<std::string>{"backfill", "create-index-concurrently"});
  CHECK(p.steps_of(Phase::Backfill)[1]->sql ==
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"users_pkey_pgstage\" ON \"users\" (\"id_pgstage_new\")");
  CHECK(!p.steps_of(Phase::Backfill)[1]->transactional);
  CHECK(kinds(p, Phase::Contract) == std::vector<std::string>{"add-constraint-not-valid", "validate-constraint",
                                                              "set-not-null", "drop-constraint", "swap-column",
                                                              "validate-constraint"});
  std::string swap = p.steps_of(Phase::Contract)[4]->sql;
  size_t drop_fk = swap.find("ALTER TABLE \"posts\" DROP CONSTRAINT \"posts_user_id_fkey\";");
  size_t drop_col = swap.find("ALTER TABLE \"users\" DROP COLUMN \"id\";");
  size_t pk = swap.find("ALTER TABLE \"users\" ADD CONSTRAINT \"users_pkey\" PRIMARY KEY USING INDEX \"users_pkey_pgstage\";");
  size_t fk = swap.find("ALTER TABLE \"posts\" ADD CONSTRAINT \"posts_user_id_fkey\" FOREIGN KEY (\"user_id\") "
                        "REFERENCES \"users\" ON DELETE CASCADE NOT VALID;");
  REQUIRE(drop_fk != std::string::npos);
  REQUIRE(drop_col != std::string::npos);
  REQUIRE(pk != std::string::npos);
  REQUIRE(fk != std::string::npos);
  CHECK(drop_fk < drop_col);
  CHECK(drop_col < pk);
  CHECK(pk < fk);
  CHECK(has(p.steps_of(Phase::Contract)[5]->sql, "ALTER TABLE \"posts\" VALIDATE CONSTRAINT \"posts_user_id_fkey\""));
  CHECK(std::find(p.steps_of(Phase::Contract)[4]->tables.begin(), p.steps_of(Phase::Contract)[4]->tables.end(),
                  QualifiedName{"", "posts"}) != p.steps_of(Phase::Contract)[4]->tables.end());
}

TEST_CASE("changing the type of a column in an EXCLUDE constraint is still refused") {
  auto r = plan_text(
      "CREATE TABLE rooms (id bigint PRIMARY KEY, n int, CONSTRAINT rooms_n_excl EXCLUDE USING btree (n WITH =));\n"
      "-- pgstage:history-end\n"
      "ALTER TABLE rooms ALTER COLUMN n TYPE bigint;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "is part of constraint rooms_n_excl, an EXCLUDE constraint"));
}

TEST_CASE("two columns of one key retyped in one migration: the second swap carries the key on a copy over both") {
  auto r = plan_text(
      "CREATE TABLE m (a int, b int, PRIMARY KEY (a, b));\n-- pgstage:history-end\n"
      "ALTER TABLE m ALTER COLUMN a TYPE bigint;\nALTER TABLE m ALTER COLUMN b TYPE bigint;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  std::string bf, ct;
  for (auto* s : r.plan.steps_of(Phase::Backfill)) bf += s->sql + "\n";
  for (auto* s : r.plan.steps_of(Phase::Contract)) ct += s->sql + "\n";
  // a's copy keeps the key until b's swap; b's copy names a's converted column, which a's swap
  // renames onto a before b's swap drops the old b (and a's copy with it).
  CHECK(has(bf, "\"m_pkey_pgstage\" ON \"m\" (\"a_pgstage_new\", \"b\")"));
  CHECK(has(bf, "\"m_pkey_pgstage2\" ON \"m\" (\"a_pgstage_new\", \"b_pgstage_new\")"));
  auto first = ct.find("PRIMARY KEY USING INDEX \"m_pkey_pgstage\"");
  auto second = ct.find("PRIMARY KEY USING INDEX \"m_pkey_pgstage2\"");
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(first < second);
}

TEST_CASE("a binary-coercible type change passes through") {
  auto r = plan_text(
      "CREATE TABLE t (id int PRIMARY KEY, v varchar(10));\n-- pgstage:history-end\n"
      "ALTER TABLE t ALTER COLUMN v TYPE varchar(20);\n");
  REQUIRE(r.ok);
  REQUIRE(r.plan.steps.size() == 1);
  CHECK(r.plan.steps[0].kind == "passthrough");
  CHECK(r.plan.steps[0].sql == "ALTER TABLE t ALTER COLUMN v TYPE varchar(20)");
}

TEST_CASE("safe statements pass through in order, grouped; BEGIN/COMMIT belong to the runner") {
  auto r = plan_text(std::string(kUsers) +
                     "BEGIN;\nCREATE TABLE a (id int);\nALTER TABLE users ADD COLUMN note text;\n"
                     "ALTER TABLE users RENAME COLUMN email TO mail;\nCREATE TABLE b (id int);\nCOMMIT;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  auto ex = r.plan.steps_of(Phase::Expand);
  REQUIRE(ex.size() == 4);
  CHECK(ex[0]->sql == "CREATE TABLE a (id int);\nALTER TABLE users ADD COLUMN note text");
  CHECK(ex[1]->kind == "add-column");
  CHECK(ex[2]->kind == "create-trigger");
  CHECK(ex[3]->sql == "CREATE TABLE b (id int)");
  CHECK(r.plan.steps.front().id == "expand-1-passthrough");
}

TEST_CASE("create index becomes CONCURRENTLY, outside a transaction, with Postgres' default name") {
  auto r = plan_text(std::string(kUsers) +
                     "CREATE INDEX ON users (lower(email));\nCREATE UNIQUE INDEX ux ON users (email);\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  auto ex = r.plan.steps_of(Phase::Expand);
  REQUIRE(ex.size() == 2);
  CHECK(ex[0]->sql == "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"users_lower_idx\" ON users (lower(email))");
  CHECK(ex[1]->sql == "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ux ON users (email)");
  CHECK(!ex[0]->transactional);
  CHECK(ex[0]->rule == "create-index-non-concurrent");
  CHECK(ex[0]->lock.mode == LockMode::ShareUpdateExclusive);
}

TEST_CASE("drop index and reindex become CONCURRENTLY") {
  auto r = plan_text(std::string(kUsers) + "DROP INDEX users_name_idx;\nREINDEX TABLE users;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  auto ex = r.plan.steps_of(Phase::Expand);
  REQUIRE(ex.size() == 2);
  CHECK(ex[0]->sql == "DROP INDEX CONCURRENTLY IF EXISTS \"users_name_idx\"");
  CHECK(ex[1]->sql == "REINDEX TABLE CONCURRENTLY \"users\"");
  CHECK(!ex[0]->transactional);
  CHECK(!ex[1]->transactional);
}

TEST_CASE("CONCURRENTLY inside a transaction block gets its own non-transactional step") {
  auto r = plan_text(std::string(kUsers) + "BEGIN;\nCREATE INDEX CONCURRENTLY e ON users (email);\nCOMMIT;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  REQUIRE(r.plan.steps.size() == 1);
  CHECK(!r.plan.steps[0].transactional);
  CHECK(r.plan.steps[0].rule == "concurrently-in-transaction");
}

TEST_CASE("foreign keys and checks are added NOT VALID, validated in contract, named as Postgres would") {
  auto r = plan_text(std::string(kUsers) +
                     "CREATE TABLE orders (id int PRIMARY KEY, user_id bigint, total int);\n"
                     "-- pgstage:history-end\n");
  r =
      plan_text(std::string("CREATE TABLE users (id bigint PRIMARY KEY);\n"
                            "CREATE TABLE orders (id int PRIMARY KEY, user_id bigint, total int);\n"
                            "-- pgstage:history-end\n"
                            "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;\n"
                            "ALTER TABLE orders ADD CHECK (total >= 0);\n"));
  REQUIRE_MESSAGE(r.ok, r.error);
  std::string ex = phase_text(r.plan, Phase::Expand);
  CHECK(has(ex,
            "ALTER TABLE orders ADD CONSTRAINT \"orders_user_id_fkey\" FOREIGN KEY (user_id) REFERENCES users "
            "(id) ON DELETE CASCADE NOT VALID"));
  CHECK(has(ex, "ALTER TABLE orders ADD CONSTRAINT \"orders_total_check\" CHECK (total >= 0) NOT VALID"));
  std::string ct = phase_text(r.plan, Phase::Contract);
  CHECK(has(ct, "VALIDATE CONSTRAINT \"orders_user_id_fkey\""));
  CHECK(has(ct, "VALIDATE CONSTRAINT \"orders_total_check\""));
}

TEST_CASE("unique and primary keys are built CONCURRENTLY and attached USING INDEX") {
  auto r = plan_text(
      "CREATE TABLE t (a int, b int);\n-- pgstage:history-end\n"
      "ALTER TABLE t ADD UNIQUE (b);\nALTER TABLE t ADD PRIMARY KEY (a);\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  std::string ex = phase_text(r.plan, Phase::Expand);
  CHECK(has(ex, "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"t_b_key\" ON \"t\" (\"b\")"));
  CHECK(has(ex, "ADD CONSTRAINT \"t_b_key\" UNIQUE USING INDEX \"t_b_key\""));
  CHECK(has(ex, "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"t_pkey\" ON \"t\" (\"a\")"));
  std::string ct = phase_text(r.plan, Phase::Contract);
  CHECK(has(ct, "CHECK (\"a\" IS NOT NULL) NOT VALID"));
  CHECK(has(ct, "ADD CONSTRAINT \"t_pkey\" PRIMARY KEY USING INDEX \"t_pkey\""));
}

TEST_CASE("UPDATE becomes a batched backfill by primary key") {
  // Lint reports both: backfill-in-migration (DDL on the table in the same transaction) and
  // unbounded-dml (no WHERE).
  auto r = plan_text(std::string(kUsers) +
                     "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\n"
                     "UPDATE users SET email = lower(email) WHERE email <> lower(email);\n"
                     "UPDATE users SET age = age + 1;\nCOMMIT;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  auto bf = r.plan.steps_of(Phase::Backfill);
  REQUIRE(bf.size() == 2);
  CHECK(bf[0]->backfill->set_sql == "email = lower(email)");
  CHECK(bf[0]->backfill->predicate == "email <> lower(email)");
  CHECK(bf[0]->rule == "backfill-in-migration");
  CHECK(bf[1]->backfill->predicate == "");
  CHECK(bf[1]->rule == "unbounded-dml");
  // What the plan shows is what the executor runs (one algorithm), with $n for the key values.
  CHECK(backfill_batch_text(*bf[0]->backfill) ==
        "SELECT batch.\"id\"::text FROM (SELECT \"id\" FROM \"users\" WHERE (\"id\") > ($1) AND (email <> "
        "lower(email)) ORDER BY \"id\" LIMIT 7) AS batch ORDER BY batch.\"id\" DESC LIMIT 1;  -- the batch's last "
        "key: $2\nUPDATE \"users\" SET email = lower(email) WHERE (\"id\") > ($1) AND (\"id\") <= ($2) AND (email <> "
        "lower(email))");
  auto bad = plan_text(std::string(kUsers) + "UPDATE users u SET email = 'x';\n");
  CHECK(!bad.ok);
  CHECK(has(bad.error, "migration.sql:1:"));
}

TEST_CASE("SET NOT NULL goes through a CHECK in contract, with a catch-up of the migration's backfill") {
  auto r = plan_text(std::string(kUsers) +
                     "UPDATE users SET email = '' WHERE email IS NULL;\n"
                     "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(kinds(r.plan, Phase::Contract) == std::vector<std::string>{"backfill", "add-constraint-not-valid",
                                                                   "validate-constraint", "set-not-null",
                                                                   "drop-constraint"});
  auto f =
      plan_text(std::string(kUsers) + "-- pgstage:fill 'none'\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n");
  REQUIRE_MESSAGE(f.ok, f.error);
  CHECK(f.plan.steps_of(Phase::Backfill).size() == 1);
}

TEST_CASE("drops wait for contract; a NOT NULL column being dropped loses NOT NULL in expand") {
  auto r = plan_text(std::string(kUsers) + "ALTER TABLE users DROP COLUMN name;\nDROP TABLE users;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(phase_text(r.plan, Phase::Expand) == "ALTER TABLE \"users\" ALTER COLUMN \"name\" DROP NOT NULL;\n");
  CHECK(phase_text(r.plan, Phase::Contract) ==
        "ALTER TABLE \"users\" DROP COLUMN IF EXISTS \"name\";\nDROP TABLE IF EXISTS \"users\";\n");
}

TEST_CASE("renaming a table: rename + updatable view in one step, drop the view in contract") {
  auto r = plan_text(std::string(kUsers) + "ALTER TABLE users RENAME TO accounts;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  std::string ex = phase_text(r.plan, Phase::Expand);
  CHECK(has(ex,
            "ALTER TABLE \"users\" RENAME TO \"accounts\";\n    CREATE VIEW \"users\" AS SELECT * FROM \"accounts\""));
  CHECK(phase_text(r.plan, Phase::Contract) == "DROP VIEW IF EXISTS \"users\";\n");
}

TEST_CASE("a statement that depends on something deferred to contract is refused") {
  auto r = plan_text(std::string(kUsers) +
                     "ALTER TABLE users DROP COLUMN email;\nALTER TABLE users ADD COLUMN email int;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "migration.sql:2:1"));
  CHECK(has(r.error, "split the migration"));
}

TEST_CASE("new tables are not staged") {
  auto r = plan_text(
      "CREATE TABLE n (id int PRIMARY KEY, a text);\nALTER TABLE n RENAME COLUMN a TO b;\n"
      "CREATE INDEX ON n (b);\n");
  REQUIRE(r.ok);
  REQUIRE(r.plan.steps.size() == 1);
  CHECK(r.plan.steps[0].kind == "passthrough");
}

TEST_CASE("identifiers are quoted everywhere: mixed case, reserved words, quotes inside names") {
  auto r = plan_text(
      "CREATE TABLE \"My Table\" (\"Id\" int PRIMARY KEY, \"select\" text, \"we\"\"ird\" int);\n"
      "-- pgstage:history-end\n"
      "ALTER TABLE \"My Table\" RENAME COLUMN \"select\" TO \"From\";\n"
      "ALTER TABLE \"My Table\" ALTER COLUMN \"we\"\"ird\" TYPE text;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  std::string all =
      phase_text(r.plan, Phase::Expand) + phase_text(r.plan, Phase::Backfill) + phase_text(r.plan, Phase::Contract);
  CHECK(has(all, "ALTER TABLE \"My Table\" ADD COLUMN IF NOT EXISTS \"From\" text"));
  CHECK(has(all, "NEW.\"From\" := NEW.\"select\""));
  CHECK(has(all, "\"we\"\"ird_pgstage_new\""));
  CHECK(has(all, "'\"My Table\"'::regclass"));
  CHECK(has(all, "(SELECT \"Id\" FROM \"My Table\" WHERE"));
  CHECK(has(all, "UPDATE \"My Table\" SET \"From\" = \"select\" WHERE (\"Id\") > ($1)"));
  CHECK(!has(all, " My Table "));
}

TEST_CASE("generated names stay within 63 bytes and are deterministic") {
  std::string longname(60, 'x');
  std::string n1 = bounded_name("pgstage_sync_" + longname);
  CHECK(n1.size() <= 63);
  CHECK(n1 == bounded_name("pgstage_sync_" + longname));
  CHECK(n1 != bounded_name("pgstage_sync_" + longname + "y"));
  CHECK(bounded_name("short") == "short");
  CHECK(pg_default_name(std::string(40, 'a'), std::string(40, 'b'), "fkey").size() == 63);
  CHECK(pg_default_name("orders", std::vector<std::string>{"user_id"}, "fkey") == "orders_user_id_fkey");
  auto r = plan_text("CREATE TABLE " + longname + " (id int PRIMARY KEY, " + longname +
                     " text);\n"
                     "-- pgstage:history-end\nALTER TABLE " +
                     longname + " RENAME COLUMN " + longname + " TO y;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  for (auto& s : r.plan.steps)
    for (auto& w : top_words(s.sql)) CHECK(w.end - w.begin <= 63);
}

TEST_CASE("plan.json round-trips and refuses unknown versions") {
  auto r = plan_text(std::string(kUsers) + "ALTER TABLE users RENAME COLUMN name TO full_name;\n");
  REQUIRE(r.ok);
  r.plan.source_checksum = "sha256:abc";
  std::string js = to_json(r.plan);
  Plan back;
  std::string err;
  REQUIRE_MESSAGE(from_json(js, back, err), err);
  CHECK(to_json(back) == js);
  CHECK(back.steps.size() == r.plan.steps.size());
  CHECK(back.steps[2].transactional == false);
  REQUIRE(back.steps_of(Phase::Backfill).size() == 1);
  CHECK(back.steps_of(Phase::Backfill)[0]->backfill->set_sql == "\"full_name\" = \"name\"");
  CHECK(back.steps[0].lock.mode == r.plan.steps[0].lock.mode);

  std::string v2 = js;
  v2.replace(v2.find("\"version\": 1"), 12, "\"version\": 2");
  CHECK(!from_json(v2, back, err));
  CHECK(has(err, "version 2"));
  CHECK(!from_json("{\"phases\": []}", back, err));
  CHECK(has(err, "version"));
  CHECK(!from_json("not json", back, err));
}

TEST_CASE("a backfill needs a primary key; a rename needs the column's history") {
  auto r = plan_text("CREATE TABLE t (a int, b text);\n-- pgstage:history-end\nALTER TABLE t RENAME COLUMN b TO c;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "migration.sql:1:"));
  CHECK(has(r.error, "primary key"));
  r = plan_text("ALTER TABLE unknown_t RENAME COLUMN b TO c;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "--history"));
  r = plan_text(
      "CREATE TABLE t (id int PRIMARY KEY, n serial, g int GENERATED ALWAYS AS (id * 2) STORED);\n"
      "-- pgstage:history-end\nALTER TABLE t RENAME COLUMN g TO h;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "generated column"));
  // A serial column keeps its sequence (the old column is renamed); the copy is a plain integer.
  r = plan_text(
      "CREATE TABLE t (id int PRIMARY KEY, n serial, g int GENERATED ALWAYS AS IDENTITY);\n"
      "-- pgstage:history-end\nALTER TABLE t RENAME COLUMN n TO m;\nALTER TABLE t RENAME COLUMN g TO h;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(has(phase_text(r.plan, Phase::Expand), "ADD COLUMN IF NOT EXISTS \"m\" integer"));
  r = plan_text(
      "CREATE TABLE t (id int PRIMARY KEY, u int UNIQUE);\n-- pgstage:history-end\n"
      "ALTER TABLE t ALTER COLUMN u TYPE text;\n");
  REQUIRE_MESSAGE(r.ok, r.error);  // a UNIQUE column is staged now: the key moves to the new column
  CHECK(has(phase_text(r.plan, Phase::Contract), "ADD CONSTRAINT \"t_u_key\" UNIQUE USING INDEX \"t_u_key_pgstage\""));
}

TEST_CASE("UPDATE ... FROM (the usual foreign-key backfill) is batched by the updated table's key") {
  auto r = plan_text(
      "CREATE TABLE orgs (id int PRIMARY KEY, slug text);\nCREATE TABLE users (id int PRIMARY KEY, org_slug text);\n"
      "-- pgstage:history-end\nBEGIN;\nALTER TABLE users ADD COLUMN org_id int;\n"
      "UPDATE users SET org_id = orgs.id FROM orgs WHERE orgs.slug = users.org_slug AND users.org_id IS NULL;\n"
      "COMMIT;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  auto bf = r.plan.steps_of(Phase::Backfill);
  REQUIRE(bf.size() == 1);
  const BackfillSpec& b = *bf[0]->backfill;
  CHECK(b.from_sql == "orgs");
  CHECK(b.set_sql == "org_id = orgs.id");
  CHECK(b.predicate == "orgs.slug = users.org_slug AND users.org_id IS NULL");
  // The key is qualified (orgs has an "id" too); the bound query joins the same tables.
  CHECK(backfill_update_sql(b, {"$1"}, {"$2"}) ==
        "UPDATE \"users\" SET org_id = orgs.id FROM orgs WHERE (\"users\".\"id\") > ($1) AND (\"users\".\"id\") <= "
        "($2) AND (orgs.slug = users.org_slug AND users.org_id IS NULL)");
  CHECK(has(backfill_bound_sql(b, {}, 7), "FROM (SELECT DISTINCT \"users\".\"id\" FROM \"users\", orgs WHERE"));
  Plan back;
  std::string err;
  REQUIRE_MESSAGE(from_json(to_json(r.plan), back, err), err);
  CHECK(back.steps_of(Phase::Backfill)[0]->backfill->from_sql == "orgs");
}

TEST_CASE("composite keys: the batch compares the key tuple with one parameter per column") {
  auto r = plan_text(
      "CREATE TABLE t (a int, b int, v text, PRIMARY KEY (a, b));\n-- pgstage:history-end\n"
      "UPDATE t SET v = 'x';\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  auto bf = r.plan.steps_of(Phase::Backfill);
  REQUIRE(bf.size() == 1);
  CHECK(bf[0]->backfill->key_columns == std::vector<std::string>{"a", "b"});
  CHECK(backfill_update_sql(*bf[0]->backfill, {"$1", "$2"}, {"$3", "$4"}) ==
        "UPDATE \"t\" SET v = 'x' WHERE (\"a\", \"b\") > ($1, $2) AND (\"a\", \"b\") <= ($3, $4)");
  CHECK(backfill_bound_sql(*bf[0]->backfill, {}, 7) ==
        "SELECT batch.\"a\"::text, batch.\"b\"::text FROM (SELECT \"a\", \"b\" FROM \"t\" ORDER BY \"a\", \"b\" LIMIT 7) "
        "AS batch ORDER BY batch.\"a\" DESC, batch.\"b\" DESC LIMIT 1");
  CHECK(has(backfill_batch_text(*bf[0]->backfill), "the batch's last key: $3..$4"));
}

TEST_CASE(
    "a fill annotation at the end of the statement's line counts; one on the previous statement's line does not") {
  auto r = plan_text(std::string(kUsers) + "ALTER TABLE users ADD COLUMN a int NOT NULL; -- pgstage:fill 1\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  r = plan_text(std::string(kUsers) + "SELECT 1; -- pgstage:fill 1\nALTER TABLE users ADD COLUMN a int NOT NULL;\n");
  CHECK(!r.ok);
}

TEST_CASE("a statement mixing safe and staged subcommands is split, in order") {
  auto r = plan_text(std::string(kUsers) +
                     "ALTER TABLE users ADD COLUMN note text DEFAULT 'x', ALTER COLUMN age TYPE bigint, "
                     "ALTER COLUMN email DROP NOT NULL;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  auto ex = r.plan.steps_of(Phase::Expand);
  REQUIRE(ex.size() == 4);
  CHECK(ex[0]->sql == "ALTER TABLE \"users\" ADD COLUMN \"note\" text DEFAULT 'x'");
  CHECK(ex[1]->kind == "add-column");
  CHECK(ex[2]->kind == "create-trigger");
  CHECK(ex[3]->sql == "ALTER TABLE \"users\" ALTER COLUMN \"email\" DROP NOT NULL");
  auto bad = plan_text(std::string(kUsers) + "ALTER TABLE users ALTER COLUMN age TYPE bigint, SET UNLOGGED;\n");
  CHECK(!bad.ok);
  CHECK(has(bad.error, "cannot be split off"));
  CHECK(!has(bad.error, "AlterTableOther"));  // the user's words, not the analyzer's
}

TEST_CASE("a syntax error stops the plan at its position") {
  auto r = plan_text("SELECT 1;\nALTER TABLE users ADD COLUMN;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "migration.sql:2:"));
  CHECK(has(r.error, "syntax error"));
}

TEST_CASE("an unbounded DELETE has no recipe: it passes through and is reported as unplannable") {
  auto r = plan_text(std::string(kUsers) + "DELETE FROM users;\n");
  REQUIRE(r.ok);
  REQUIRE(r.unplannable.size() == 1);
  CHECK(r.unplannable[0].rule == "unbounded-dml");
  CHECK(r.unplannable[0].start.line == 1);
  CHECK(r.plan.steps.size() == 1);
  CHECK(r.plan.steps[0].kind == "passthrough");
}

TEST_CASE("a volatile default: add without default, SET DEFAULT for new rows, batched backfill, NOT NULL in contract") {
  auto r =
      plan_text(std::string(kUsers) + "ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(phase_text(r.plan, Phase::Expand) ==
        "ALTER TABLE \"users\" ADD COLUMN IF NOT EXISTS \"token\" uuid;\n"
        "ALTER TABLE \"users\" ALTER COLUMN \"token\" SET DEFAULT gen_random_uuid();\n");
  auto bf = r.plan.steps_of(Phase::Backfill);
  REQUIRE(bf.size() == 1);
  CHECK(bf[0]->backfill->set_sql == "\"token\" = (gen_random_uuid())");
  CHECK(bf[0]->rule == "adding-column-volatile-default");
  CHECK(kinds(r.plan, Phase::Contract) ==
        std::vector<std::string>{"add-constraint-not-valid", "validate-constraint", "set-not-null", "drop-constraint"});
  auto safe = plan_text(std::string(kUsers) + "ALTER TABLE users ADD COLUMN at timestamptz NOT NULL DEFAULT now();\n");
  REQUIRE(safe.ok);
  REQUIRE(safe.plan.steps.size() == 1);
  CHECK(safe.plan.steps[0].kind == "passthrough");
}

TEST_CASE("a later statement on a column the plan replaces runs after the swap, or is refused") {
  auto r = plan_text(std::string(kUsers) +
                     "ALTER TABLE users ALTER COLUMN age TYPE bigint;\nCREATE INDEX ON users (age);\n");
  REQUIRE_MESSAGE(r.ok, r.error);  // the index is built on the converted column, after the swap
  CHECK(kinds(r.plan, Phase::Contract).back() == "deferred");
  CHECK(has(phase_text(r.plan, Phase::Contract), "CREATE INDEX CONCURRENTLY ON users (age)"));
  r = plan_text(std::string(kUsers) +
                "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n"
                "ALTER TABLE users ALTER COLUMN age TYPE numeric;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "migration.sql:2:"));
  r = plan_text(std::string(kUsers) +
                "ALTER TABLE users RENAME COLUMN email TO mail;\nCREATE INDEX ON users (mail);\n");
  CHECK_MESSAGE(r.ok, r.error);
}

TEST_CASE("-- pgstage:ignore <rule> on a statement: the author accepts the hazard, it runs as written") {
  auto r =
      plan_text(std::string(kUsers) +
                "-- pgstage:ignore renaming-column -- no release reads it yet\n"
                "ALTER TABLE users RENAME COLUMN email TO mail;\nALTER TABLE users RENAME COLUMN name TO full_name;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  auto ex = r.plan.steps_of(Phase::Expand);
  REQUIRE(ex.size() >= 2);
  CHECK(ex[0]->sql == "ALTER TABLE users RENAME COLUMN email TO mail");
  CHECK(ex[1]->kind == "add-column");
  auto other = plan_text(std::string(kUsers) +
                         "-- pgstage:ignore dropping-column\n"
                         "ALTER TABLE users RENAME COLUMN email TO mail;\n");
  REQUIRE(other.ok);
  CHECK(other.plan.steps[0].kind == "add-column");
}

TEST_CASE("an unnamed unique index gets Postgres' _idx name; UPDATE of a schema-qualified table is batched") {
  auto r = plan_text(
      "CREATE SCHEMA app;\nCREATE TABLE app.t (id int PRIMARY KEY, v text);\n-- pgstage:history-end\n"
      "CREATE UNIQUE INDEX ON app.t (v);\nUPDATE app.t SET v = upper(v);\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(r.plan.steps[0].sql == "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"t_v_idx\" ON app.t (v)");
  REQUIRE(r.plan.steps_of(Phase::Backfill).size() == 1);
  CHECK(backfill_update_sql(*r.plan.steps_of(Phase::Backfill)[0]->backfill, {}, {}).rfind("UPDATE \"app\".\"t\" SET", 0) ==
        0);
  auto alias = plan_text(
      "CREATE SCHEMA app;\nCREATE TABLE app.t (id int PRIMARY KEY, v text);\n-- pgstage:history-end\n"
      "UPDATE app.t AS x SET v = upper(x.v);\n");
  CHECK(!alias.ok);
}

TEST_CASE("a later constraint or view on a column the plan swaps away goes after the swap (not dropped with it)") {
  auto r = plan_text(std::string(kUsers) +
                     "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n"
                     "ALTER TABLE users ADD CONSTRAINT age_pos CHECK (age > 0);\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(kinds(r.plan, Phase::Contract).back() == "deferred");
  CHECK(has(r.plan.steps.back().description, "has its new type only after the swap"));
  r = plan_text(std::string(kUsers) + "CREATE VIEW ages AS SELECT id, age FROM users;\n" +
                "DROP VIEW ages;\nALTER TABLE users ALTER COLUMN age TYPE bigint;\n"
                "CREATE VIEW ages AS SELECT id, age FROM users;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  std::string co = phase_text(r.plan, Phase::Contract);
  auto drop = co.find("DROP VIEW IF EXISTS \"ages\"");
  auto swap = co.find("RENAME COLUMN \"age_pgstage_new\" TO \"age\"");
  auto create = co.find("CREATE VIEW ages AS SELECT id, age FROM users");
  REQUIRE(drop != std::string::npos);
  REQUIRE(create != std::string::npos);
  CHECK(drop < swap);
  CHECK(swap < create);
}

TEST_CASE("an expression index over a renamed column follows the rename; a type change refuses it clearly") {
  auto r = plan_text(
      "CREATE TABLE t (id int PRIMARY KEY, e text);\nCREATE INDEX t_lower ON t (lower(e));\n"
      "-- pgstage:history-end\nALTER TABLE t RENAME COLUMN e TO f;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(!has(phase_text(r.plan, Phase::Expand), "t_lower"));  // not copied: the original is renamed with e
  r = plan_text(
      "CREATE TABLE t (id int PRIMARY KEY, e text);\nCREATE INDEX t_lower ON t (lower(e));\n"
      "-- pgstage:history-end\nALTER TABLE t ALTER COLUMN e TYPE varchar(20);\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "migration.sql:1:"));
  CHECK(has(r.error, "expression"));
}

TEST_CASE("a rename keeps the column's constraints: primary keys and unique columns rename too") {
  auto r = plan_text(
      "CREATE TABLE t (id int PRIMARY KEY, code text UNIQUE NOT NULL CHECK (code <> ''));\n"
      "CREATE TABLE c (id int PRIMARY KEY, t_id int REFERENCES t (id));\n"
      "-- pgstage:history-end\nALTER TABLE t RENAME COLUMN id TO t_id;\nALTER TABLE t RENAME COLUMN code TO k;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  std::string ex = phase_text(r.plan, Phase::Expand);
  CHECK(has(ex, "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"t_pkey_pgstage\" ON \"t\" (\"t_id\")"));
  CHECK(kinds(r.plan, Phase::Contract) == std::vector<std::string>{"rename-column", "rename-column"});
}

TEST_CASE("statements after a rename that use the new name run after the rename in contract") {
  std::string hist = "CREATE TABLE t (id int PRIMARY KEY, a text);\nCREATE TABLE o (id int PRIMARY KEY);\n"
                     "-- pgstage:history-end\nALTER TABLE t RENAME COLUMN a TO b;\n";
  SUBCASE("an index on the new name: built CONCURRENTLY after the rename") {
    auto r = plan_text(hist + "CREATE INDEX t_b ON t (b);\n");
    REQUIRE_MESSAGE(r.ok, r.error);
    CHECK(kinds(r.plan, Phase::Contract) == std::vector<std::string>{"rename-column", "deferred"});
    CHECK(has(phase_text(r.plan, Phase::Contract), "CREATE INDEX CONCURRENTLY t_b ON t (b)"));
    CHECK(!r.plan.steps_of(Phase::Contract)[1]->transactional);
  }
  SUBCASE("a default and a comment: on the copy for the new release, and again after the rename") {
    auto r = plan_text(hist + "ALTER TABLE t ALTER COLUMN b SET DEFAULT 'x';\nCOMMENT ON COLUMN t.b IS 'the b';\n");
    REQUIRE_MESSAGE(r.ok, r.error);
    CHECK(has(phase_text(r.plan, Phase::Expand), "SET DEFAULT 'x'"));
    CHECK(has(phase_text(r.plan, Phase::Expand), "COMMENT ON COLUMN t.b"));
    CHECK(kinds(r.plan, Phase::Contract) == std::vector<std::string>{"rename-column", "deferred", "deferred"});
  }
  SUBCASE("a view over the new name: created in expand, dropped and created again around the rename") {
    auto r = plan_text(hist + "CREATE VIEW v AS SELECT id, b FROM t;\n");
    REQUIRE_MESSAGE(r.ok, r.error);
    CHECK(has(phase_text(r.plan, Phase::Expand), "CREATE VIEW v AS SELECT id, b FROM t"));
    std::string co = phase_text(r.plan, Phase::Contract);
    auto drop = co.find("DROP VIEW IF EXISTS \"v\"");
    auto rename = co.find("RENAME COLUMN \"a\" TO \"b\"");
    auto create = co.find("CREATE VIEW v AS SELECT id, b FROM t");
    REQUIRE(drop != std::string::npos);
    REQUIRE(create != std::string::npos);
    CHECK(drop < rename);
    CHECK(rename < create);
    CHECK(kinds(r.plan, Phase::Contract) == std::vector<std::string>{"rename-column"});
  }
  SUBCASE("a foreign key to the new name from another table: after the rename") {
    auto r = plan_text(hist + "ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE (b);\n");
    REQUIRE_MESSAGE(r.ok, r.error);
    CHECK(kinds(r.plan, Phase::Contract) == std::vector<std::string>{"rename-column", "deferred"});
  }
  SUBCASE("changing the new column again, or mixing it with other changes, is refused with a way out") {
    auto r = plan_text(hist + "ALTER TABLE t ALTER COLUMN b TYPE varchar(10);\n");
    REQUIRE(!r.ok);
    CHECK(has(r.error, "migration.sql:2:"));
    CHECK(has(r.error, "split the migration"));
    r = plan_text(hist + "ALTER TABLE t ALTER COLUMN b SET NOT NULL, ADD COLUMN z int;\n");
    REQUIRE(!r.ok);
    CHECK(has(r.error, "statements of their own"));
    r = plan_text(hist + "CREATE TABLE w (id int PRIMARY KEY, b text REFERENCES t (b));\n");
    REQUIRE(!r.ok);
    CHECK(has(r.error, "foreign key to t.b"));
  }
  SUBCASE("a table the rename does not touch, or another column, is not affected") {
    auto r = plan_text(hist + "CREATE INDEX o_id ON o (id);\nALTER TABLE t ALTER COLUMN id SET DEFAULT 1;\n");
    REQUIRE_MESSAGE(r.ok, r.error);
    CHECK(kinds(r.plan, Phase::Contract) == std::vector<std::string>{"rename-column"});
  }
}

TEST_CASE("column_refs_in: column references in an expression's text, not literals, calls, types or fields") {
  auto names = [](std::string_view sql) {
    std::vector<std::string> out;
    for (auto& r : column_refs_in(sql)) out.push_back(r.name);
    return out;
  };
  CHECK(names("n >= 0") == std::vector<std::string>{"n"});
  CHECK(names("(\"Amount\" > 0 AND 'amount' <> x.amount)") == std::vector<std::string>{"Amount", "and", "x"});
  CHECK(names("length(Email) > 3 AND email::text <> ''") == std::vector<std::string>{"email", "and", "email"});
  CHECK(names("a = 'it''s a' OR \"we\"\"ird\" IS NULL") == std::vector<std::string>{"a", "or", "we\"ird", "is", "null"});
  CHECK(names("price * 1e5 > 0") == std::vector<std::string>{"price"});
  auto refs = column_refs_in("coalesce(\"m\", 1) + m");
  REQUIRE(refs.size() == 2);
  CHECK(refs[0].begin == 9);
  CHECK(refs[0].end == 12);
  CHECK(refs[1].begin == 19);
  bool found = false;
  CHECK(rename_column_refs("coalesce(\"m\", 1) + m > 'm'", "m", "Amount", &found) ==
        "coalesce(\"Amount\", 1) + \"Amount\" > 'm'");
  CHECK(found);
  rename_column_refs("x > 0", "m", "n", &found);
  CHECK_FALSE(found);
}

TEST_CASE("an atomic table swap runs as written: neither half is staged on its own") {
  // Staging the DROP (kept until contract) and the RENAME (rename + view) separately made a plan
  // whose rename met the kept table and whose contract dropped the replacement.
  auto r = plan_text(
      "BEGIN;\nDROP TABLE accounts;\nALTER TABLE accounts_staging RENAME TO accounts;\nCOMMIT;\n"
      "ALTER TABLE invoices RENAME TO bills;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  const Plan& p = r.plan;
  CHECK(kinds(p, Phase::Expand) == std::vector<std::string>{"passthrough", "rename-table"});
  std::string ex = phase_text(p, Phase::Expand);
  CHECK(has(ex, "DROP TABLE accounts;\n"));
  CHECK(has(ex, "ALTER TABLE accounts_staging RENAME TO accounts;"));
  CHECK(has(ex, "ALTER TABLE \"invoices\" RENAME TO \"bills\""));
  std::string co = phase_text(p, Phase::Contract);
  CHECK(!has(co, "DROP TABLE"));
  CHECK(kinds(p, Phase::Contract) == std::vector<std::string>{"drop-view"});
}

TEST_CASE("a table swap that loses the running release's writes is refused with lint's reason") {
  auto r = plan_text(std::string(kUsers) +
                     "CREATE TABLE users_new AS SELECT id, name, email, age FROM users;\n"
                     "BEGIN;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;\nCOMMIT;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "half of a table swap that pgstage cannot stage"));
  CHECK(has(r.error, "a copy of its rows taken at line"));
  auto locked = plan_text(std::string(kUsers) +
                          "BEGIN;\nLOCK TABLE users IN SHARE MODE;\n"
                          "CREATE TABLE users_new AS SELECT id, name, email, age FROM users;\n"
                          "DROP TABLE users;\nALTER TABLE users_new RENAME TO users;\nCOMMIT;\n");
  REQUIRE_MESSAGE(locked.ok, locked.error);
  CHECK(kinds(locked.plan, Phase::Contract).empty());
}

TEST_CASE("dropping a default the running release relies on: DROP DEFAULT moves to contract") {
  auto r = plan_text("CREATE TABLE t (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'new');\n"
                     "-- pgstage:history-end\nALTER TABLE t ALTER COLUMN status DROP DEFAULT;\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(kinds(r.plan, Phase::Expand).empty());
  CHECK(kinds(r.plan, Phase::Contract) == std::vector<std::string>{"drop-default"});
  CHECK(has(phase_text(r.plan, Phase::Contract), "ALTER TABLE \"t\" ALTER COLUMN \"status\" DROP DEFAULT"));
  // Lint is silent (the default is set again before COMMIT): it runs as written, nothing in contract.
  auto again = plan_text("CREATE TABLE t (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'new');\n"
                         "-- pgstage:history-end\nBEGIN;\nALTER TABLE t ALTER COLUMN status DROP DEFAULT;\n"
                         "ALTER TABLE t ALTER COLUMN status SET DEFAULT 'open';\nCOMMIT;\n");
  REQUIRE_MESSAGE(again.ok, again.error);
  CHECK(kinds(again.plan, Phase::Contract).empty());
}

TEST_CASE("a unique index over rows the plan backfills is built after the backfill, in contract") {
  auto r = plan_text(
      "CREATE TABLE d (id text PRIMARY KEY);\nCREATE TABLE doc (id int PRIMARY KEY);\n"
      "-- pgstage:history-end\nBEGIN;\nALTER TABLE doc ADD COLUMN d_id text;\n"
      "UPDATE doc SET d_id = d.id FROM d WHERE doc.id::text = d.id;\nCOMMIT;\n"
      "CREATE UNIQUE INDEX doc_d_id_key ON doc (d_id);\n");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(kinds(r.plan, Phase::Backfill) == std::vector<std::string>{"backfill"});
  CHECK(kinds(r.plan, Phase::Contract) == std::vector<std::string>{"deferred"});
  CHECK(has(phase_text(r.plan, Phase::Contract), "CREATE UNIQUE INDEX CONCURRENTLY doc_d_id_key ON doc (d_id)"));
  CHECK(!r.plan.steps_of(Phase::Contract)[0]->transactional);
}

TEST_CASE("dropping and re-adding a column in one statement (Prisma's type change with data loss) says what to do") {
  auto r = plan_text(
      "CREATE TABLE s (id int PRIMARY KEY, type text);\n-- pgstage:history-end\n"
      "ALTER TABLE s DROP COLUMN type, ADD COLUMN type int NOT NULL DEFAULT 0;\n");
  REQUIRE(!r.ok);
  CHECK(has(r.error, "migration.sql:1:"));
  CHECK(has(r.error, "adds a new one under the same name"));
  CHECK(has(r.error, "-- pgstage:ignore dropping-column"));
  // As the message says, the ignore comment runs it as written.
  auto ok = plan_text(
      "CREATE TABLE s (id int PRIMARY KEY, type text);\n-- pgstage:history-end\n"
      "-- pgstage:ignore dropping-column\nALTER TABLE s DROP COLUMN type, ADD COLUMN type int NOT NULL DEFAULT 0;\n");
  REQUIRE_MESSAGE(ok.ok, ok.error);
  CHECK(kinds(ok.plan, Phase::Contract).empty());
}

}  // namespace unit_planner_test
