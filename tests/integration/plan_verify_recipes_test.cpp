// Recipe fixes proven by `plan --verify` (the migration as written vs the plan through the executor,
// on the shared test cluster): type names quoted, type renames followed. Migrations in the shapes
// ORMs write them (Prisma quotes every name and converts through text).
#include <doctest/doctest.h>
#include <unistd.h>

#include "tests/integration/apply_support.h"

namespace integration_plan_verify_recipes_test {

using namespace pgstage;
using namespace pgstage::test;

namespace {

// Plans dir/002.sql (history dir/001.sql) with --verify on the shared cluster; returns the result.
proc::Result plan_verified(const std::string& before, const std::string& migration) {
  MigrationDir d;
  d.write("001.sql", before);
  d.write("002.sql", migration);
  return run_pgstage({"plan", d.path() + "/002.sql", "--shadow-url", PgCluster::shared().url()});
}

void check_verified(const proc::Result& r) {
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Verification (verified") != std::string::npos);
}

}  // namespace

TEST_CASE("plan --verify: a mixed-case enum type (Prisma) and an array of it are quoted") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TYPE \"Status2\" AS ENUM ('draft', 'live');\n"
      "CREATE TABLE \"Post\" (\"id\" bigint PRIMARY KEY, \"status\" text NOT NULL, \"tags\" text[]);\n"
      "INSERT INTO \"Post\" VALUES (1, 'draft', '{draft}'), (2, 'live', '{live,draft}');\n",
      "ALTER TABLE \"Post\" ALTER COLUMN \"status\" TYPE \"Status2\" USING (\"status\"::text::\"Status2\");\n"
      "ALTER TABLE \"Post\" ALTER COLUMN \"tags\" TYPE \"Status2\"[] USING (\"tags\"::text[]::\"Status2\"[]);\n");
  check_verified(r);
  CHECK(r.out.find("\"status_pgstage_new\" \"Status2\"") != std::string::npos);
  CHECK(r.out.find("\"Status2\"[]") != std::string::npos);
}

TEST_CASE("plan --verify: a column rename after a type rename uses the type's new name") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
      "CREATE TABLE people (id bigint PRIMARY KEY, m mood);\n",
      "ALTER TYPE mood RENAME TO feeling;\n"
      "ALTER TABLE people RENAME COLUMN m TO f;\n");
  check_verified(r);
  CHECK(r.out.find("ADD COLUMN IF NOT EXISTS \"f\" \"feeling\"") != std::string::npos);
}

TEST_CASE("plan --verify: copied indexes keep DESC, WHERE, INCLUDE, the access method and the operator class") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, deleted boolean NOT NULL DEFAULT false, tags jsonb);\n"
      "CREATE UNIQUE INDEX accounts_email_live ON accounts (email DESC) WHERE email IS NOT NULL AND NOT deleted;\n"
      "CREATE INDEX accounts_email_inc ON accounts (email text_pattern_ops) INCLUDE (id);\n"
      "CREATE INDEX accounts_tags ON accounts USING gin (tags jsonb_path_ops);\n",
      "ALTER TABLE accounts RENAME COLUMN email TO mail;\n"
      "ALTER TABLE accounts RENAME COLUMN tags TO labels;\n");
  check_verified(r);
  CHECK(r.out.find("ON \"accounts\" (\"mail\" DESC) WHERE \"mail\" IS NOT NULL AND NOT deleted") != std::string::npos);
  CHECK(r.out.find("(\"mail\" \"text_pattern_ops\") INCLUDE (\"id\")") != std::string::npos);
  CHECK(r.out.find("USING \"gin\" (\"labels\" \"jsonb_path_ops\")") != std::string::npos);
}

TEST_CASE("plan --verify: CHECK constraints follow a type change and a rename to the new column") {
  // Dropping the old column of a type change in contract drops its CHECKs: the recipe re-adds them on
  // the column that takes its place (NOT VALID in the same transaction, then VALIDATE), under
  // Postgres' own names. A rename keeps them: contract renames the old column itself.
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, m int CHECK (m > 0), CHECK (n >= 0),\n"
      "  CONSTRAINT both_pos CHECK (n + coalesce(\"m\", 1) > -5 AND 'm' <> 'n'));\n"
      "INSERT INTO counters VALUES (1, 3, 4), (2, 0, NULL);\n",
      "ALTER TABLE counters ALTER COLUMN n TYPE bigint;\n"
      "ALTER TABLE counters RENAME COLUMN m TO amount;\n");
  check_verified(r);
  CHECK(r.out.find("ADD CONSTRAINT \"counters_n_check\" CHECK (\"n\" >= 0) NOT VALID") != std::string::npos);
  // The string literals 'm' and 'n' are not column references.
  CHECK(r.out.find("CHECK (\"n\" + coalesce(\"m\", 1) > -5 AND 'm' <> 'n') NOT VALID") != std::string::npos);
  CHECK(r.out.find("VALIDATE CONSTRAINT \"both_pos\"") != std::string::npos);
  CHECK(r.out.find("counters_m_check") == std::string::npos);
  CHECK(r.out.find("RENAME COLUMN \"m\" TO \"amount\"") != std::string::npos);
}

TEST_CASE("plan --verify: a rename keeps keys, foreign keys, unique, comments, grants, sequences and views") {
  // Contract renames the old column onto the new name (after dropping the copy), so everything that
  // hangs on it follows, as with the rename as written; what the migration attaches to the new name
  // after the rename runs after that step, and its views over the copy are created again.
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE t (id int PRIMARY KEY, code text UNIQUE NOT NULL CHECK (code <> ''), n serial, note text);\n"
      "COMMENT ON COLUMN t.code IS 'the code';\n"
      "GRANT SELECT (code) ON t TO PUBLIC;\n"
      "CREATE TABLE c (id int PRIMARY KEY, t_id int REFERENCES t (id));\n"
      "CREATE VIEW tv AS SELECT id, code FROM t;\n"
      "CREATE UNIQUE INDEX t_code_lower ON t (lower(code));\n"
      "INSERT INTO t (id, code) VALUES (1, 'a'), (2, 'b');\nINSERT INTO c VALUES (1, 1);\n",
      "ALTER TABLE t RENAME COLUMN code TO k;\n"
      "ALTER TABLE t RENAME COLUMN id TO t_id;\n"
      "ALTER TABLE t RENAME COLUMN n TO seq;\n"
      "ALTER INDEX t_code_key RENAME TO t_k_key;\n"
      "CREATE INDEX t_note_k ON t (note, k);\n"
      "ALTER TABLE t ALTER COLUMN k SET DEFAULT 'dflt';\n"
      "COMMENT ON COLUMN t.k IS 'renamed code';\n"
      "CREATE VIEW kv AS SELECT t_id, k FROM t;\n"
      "CREATE VIEW kv_upper AS SELECT t_id, upper(kv.k) AS k FROM kv;\n"
      "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
      "CREATE TRIGGER t_k_touch BEFORE UPDATE OF k ON t FOR EACH ROW EXECUTE FUNCTION touch();\n");
  check_verified(r);
  CHECK(r.out.find("CREATE INDEX CONCURRENTLY t_note_k ON t (note, k)") != std::string::npos);
  CHECK(r.out.find("DROP VIEW IF EXISTS \"kv\"") != std::string::npos);
  CHECK(r.out.find("DROP VIEW IF EXISTS \"kv_upper\"") != std::string::npos);  // a view over the view too
  CHECK(r.out.find("DROP TRIGGER IF EXISTS \"t_k_touch\" ON \"t\"") != std::string::npos);
}

TEST_CASE("plan --verify: a type change keeps the column's comment and grants; views created again follow it") {
  // ALTER TYPE refuses a column a view uses, so migrations drop the view, change the type and create
  // the view again: the plan creates it in expand over the old column and again around the swap.
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE t (id bigint PRIMARY KEY, qty int NOT NULL);\nCOMMENT ON COLUMN t.qty IS 'quantity';\n"
      "GRANT SELECT (qty), UPDATE (qty) ON t TO PUBLIC;\nCREATE VIEW qtys AS SELECT id, qty FROM t;\n"
      "INSERT INTO t VALUES (1, 3), (2, 4);\n",
      "DROP VIEW qtys;\nALTER TABLE t ALTER COLUMN qty TYPE bigint;\n"
      "CREATE VIEW qtys AS SELECT id, qty FROM t;\nCREATE INDEX t_qty ON t (qty);\n");
  check_verified(r);
  CHECK(r.out.find("COMMENT ON COLUMN %s.%I IS %L") != std::string::npos);
  CHECK(r.out.find("CREATE INDEX CONCURRENTLY t_qty ON t (qty)") != std::string::npos);
}

TEST_CASE("plan --verify: a helper function used in USING and dropped later is dropped in contract") {
  // The backfill and the sync trigger call to_arr until contract: dropping it in expand would make
  // every INSERT and UPDATE on t fail.
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE t (id bigint PRIMARY KEY, tags jsonb);\n"
      "INSERT INTO t VALUES (1, '[\"a\",\"b\"]'), (2, '[]');\n",
      "CREATE FUNCTION to_arr(j jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS\n"
      "  $$ SELECT coalesce(array_agg(x), '{}') FROM jsonb_array_elements_text(j) x $$;\n"
      "ALTER TABLE t ALTER COLUMN tags TYPE text[] USING to_arr(tags);\n"
      "DROP FUNCTION to_arr(jsonb);\n");
  check_verified(r);
  auto contract = r.out.find("== contract ==");
  REQUIRE(contract != std::string::npos);
  auto drop = r.out.find("DROP FUNCTION to_arr(jsonb)");
  CHECK(drop > r.out.find("ALTER TABLE \"t\" DROP COLUMN \"tags\"", contract));
  CHECK(r.out.find("it drops function to_arr, which a trigger, backfill or column default that the plan keeps until "
                   "contract calls") != std::string::npos);
}

TEST_CASE("plan --verify: the enum change Prisma writes (DROP DEFAULT, ALTER TYPE, type renames, SET DEFAULT)") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TYPE \"Role\" AS ENUM ('USER', 'ADMIN', 'GUEST');\n"
      "CREATE TABLE \"User\" (\"id\" SERIAL PRIMARY KEY, \"role\" \"Role\" NOT NULL DEFAULT 'USER');\n"
      "INSERT INTO \"User\" (\"role\") VALUES ('USER'), ('ADMIN');\n",
      "BEGIN;\n"
      "CREATE TYPE \"Role_new\" AS ENUM ('USER', 'ADMIN');\n"
      "ALTER TABLE \"User\" ALTER COLUMN \"role\" DROP DEFAULT;\n"
      "ALTER TABLE \"User\" ALTER COLUMN \"role\" TYPE \"Role_new\" USING (\"role\"::text::\"Role_new\");\n"
      "ALTER TYPE \"Role\" RENAME TO \"Role_old\";\n"
      "ALTER TYPE \"Role_new\" RENAME TO \"Role\";\n"
      "DROP TYPE \"Role_old\";\n"
      "ALTER TABLE \"User\" ALTER COLUMN \"role\" SET DEFAULT 'USER';\n"
      "COMMIT;\n");
  check_verified(r);
  auto contract = r.out.find("== contract ==");
  REQUIRE(contract != std::string::npos);
  // The old release keeps its default and its type's name until contract.
  CHECK(r.out.find("DROP DEFAULT") > contract);
  auto swap = r.out.find("RENAME COLUMN \"role_pgstage_new\" TO \"role\"", contract);
  REQUIRE(swap != std::string::npos);
  auto r1 = r.out.find("ALTER TYPE \"Role\" RENAME TO \"Role_old\"");
  auto r2 = r.out.find("ALTER TYPE \"Role_new\" RENAME TO \"Role\"");
  auto drop = r.out.find("DROP TYPE \"Role_old\"");
  auto def = r.out.find("SET DEFAULT 'USER'", contract);
  CHECK(swap < r1);
  CHECK(r1 < r2);
  CHECK(r2 < drop);
  CHECK(drop < def);
  CHECK(def != std::string::npos);
}

TEST_CASE("plan --verify: a type and a function that a table or column dropped in contract uses follow it there") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TYPE op AS ENUM ('add', 'del');\n"
      "CREATE FUNCTION gen_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT md5(random()::text) $$;\n"
      "CREATE TABLE w (id bigint PRIMARY KEY, o op NOT NULL, note text);\n"
      "CREATE TABLE keep (id bigint PRIMARY KEY, legacy text DEFAULT gen_code());\n",
      "DROP TABLE w;\n"
      "DROP TYPE op;\n"
      "ALTER TABLE keep DROP COLUMN legacy;\n"
      "DROP FUNCTION gen_code();\n");
  check_verified(r);
  auto contract = r.out.find("== contract ==");
  REQUIRE(contract != std::string::npos);
  CHECK(r.out.find("DROP TYPE op;") > r.out.find("DROP TABLE IF EXISTS \"w\"", contract));
  CHECK(r.out.find("DROP FUNCTION gen_code();") > r.out.find("DROP COLUMN IF EXISTS \"legacy\"", contract));
}

TEST_CASE("plan --verify: one fill value per column (a foreign key column and a text column in one statement)") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE orgs (id bigint PRIMARY KEY);\n"
      "INSERT INTO orgs VALUES (1), (2);\n"
      "CREATE TABLE members (id bigint PRIMARY KEY, email text, org_hint bigint);\n"
      "INSERT INTO members VALUES (1, 'A@x.io', 2), (2, 'b@y.io', NULL);\n",
      "-- pgstage:fill org_id = coalesce(org_hint, 1)\n"
      "-- pgstage:fill \"Login\" = lower(email)\n"
      "ALTER TABLE members ADD COLUMN org_id bigint NOT NULL, ADD COLUMN \"Login\" text NOT NULL;\n"
      "ALTER TABLE members ADD CONSTRAINT members_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id);\n");
  check_verified(r);
  CHECK(r.out.find("SET \"org_id\" = (coalesce(org_hint, 1))") != std::string::npos);
  CHECK(r.out.find("SET \"Login\" = (lower(email))") != std::string::npos);
}

TEST_CASE("plan --verify: inline foreign keys and CHECKs of an added column are split off (NOT VALID, then VALIDATE)") {
  // (when Postgres would validate them: the column has a default, or is required and filled)
  // Django adds a foreign key column inline (DEFERRABLE INITIALLY DEFERRED); Rails writes REFERENCES.
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE orgs (id bigint PRIMARY KEY);\n"
      "INSERT INTO orgs VALUES (1), (2);\n"
      "CREATE TABLE members (id bigint PRIMARY KEY, org_hint bigint);\n"
      "INSERT INTO members VALUES (1, 2), (2, NULL);\n",
      "ALTER TABLE members ADD COLUMN \"team_id\" bigint NULL CONSTRAINT \"members_team_id_fk_orgs_id\" "
      "REFERENCES \"orgs\"(\"id\") ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;\n"
      "-- pgstage:fill coalesce(org_hint, 1)\n"
      "ALTER TABLE members ADD COLUMN org_id bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE CHECK (org_id > 0);\n");
  check_verified(r);
  // A nullable column without default: Postgres validates nothing (every value is NULL), lint reports
  // nothing, and the statement runs as written.
  CHECK(r.out.find("ADD COLUMN \"team_id\" bigint NULL CONSTRAINT \"members_team_id_fk_orgs_id\" REFERENCES") !=
        std::string::npos);
  CHECK(r.out.find("\"members_team_id_fk_orgs_id\" FOREIGN KEY") == std::string::npos);
  CHECK(r.out.find("ADD CONSTRAINT \"members_org_id_fkey\" FOREIGN KEY (\"org_id\") REFERENCES \"orgs\" (\"id\") ON "
                   "DELETE CASCADE NOT VALID") != std::string::npos);
  CHECK(r.out.find("ADD CONSTRAINT \"members_org_id_check\" CHECK (org_id > 0) NOT VALID") != std::string::npos);
  CHECK(r.out.find("VALIDATE CONSTRAINT \"members_org_id_fkey\"", r.out.find("== contract ==")) != std::string::npos);
}

TEST_CASE("plan --verify: an atomic table swap runs as written, next to a staged rename") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n"
      "CREATE TABLE invoices (id bigint PRIMARY KEY);\n"
      "INSERT INTO accounts VALUES (1, 'a'), (2, 'b');\n",
      "BEGIN;\n"
      "CREATE TABLE accounts_staging (id bigint PRIMARY KEY, name text, tier text);\n"
      "LOCK TABLE accounts IN SHARE MODE;\n"
      "INSERT INTO accounts_staging (id, name) SELECT id, name FROM accounts;\n"
      "DROP TABLE accounts;\n"
      "ALTER TABLE accounts_staging RENAME TO accounts;\n"
      "COMMIT;\n"
      "ALTER TABLE invoices RENAME TO bills;\n");
  check_verified(r);
  CHECK(r.out.find("DROP TABLE IF EXISTS \"accounts\"") == std::string::npos);  // the replacement stays
  CHECK(r.out.find("CREATE VIEW \"invoices\"") != std::string::npos);
}

TEST_CASE("plan --verify: rows whose defaults call now() and gen_random_uuid() compare equal") {
  // The sample rows were inserted into each database on its own: every Prisma `createdAt
  // @default(now())` column differed by a few milliseconds and the plan was reported different.
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE \"Post\" (\"id\" text PRIMARY KEY, \"title\" text NOT NULL,\n"
      "  \"createdAt\" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, \"key\" uuid DEFAULT gen_random_uuid());\n",
      "ALTER TABLE \"Post\" RENAME COLUMN \"title\" TO \"name\";\n");
  check_verified(r);
  CHECK(r.out.find("sample rows in") != std::string::npos);
}

TEST_CASE("plan --verify: a plan that stages a warning (an unbounded UPDATE) is run and proven") {
  // The executor alone runs a file without error findings as written; verification runs the plan.
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified("CREATE TABLE accounts (id bigint PRIMARY KEY, tier text);\n",
                         "UPDATE accounts SET tier = 'free';\n");
  check_verified(r);
  CHECK(r.out.find("[backfill-1-backfill]") != std::string::npos);
}

TEST_CASE("plan --verify: UPDATE ... FROM (a foreign key filled from another table) runs as a batched backfill") {
  // The batches walk users' key; the bound query joins orgs as the UPDATE does. 2,500 rows: three
  // batches of 1,000 (the default), so the key ranges join up.
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE orgs (id int PRIMARY KEY, slug text UNIQUE);\n"
      "CREATE TABLE users (id int PRIMARY KEY, org_slug text);\n"
      "INSERT INTO orgs SELECT g, 'org' || g FROM generate_series(1, 40) g;\n"
      "INSERT INTO users SELECT g, 'org' || (g % 50) FROM generate_series(1, 2500) g;\n",
      // In the transaction of DDL on users: backfill-in-migration, which the batched backfill stages.
      "BEGIN;\nALTER TABLE users ADD COLUMN org_id int;\n"
      "UPDATE users SET org_id = orgs.id FROM orgs WHERE orgs.slug = users.org_slug AND users.org_id IS NULL;\n"
      "COMMIT;\n");
  check_verified(r);
  CHECK(r.out.find("FROM (SELECT DISTINCT \"users\".\"id\" FROM \"users\", orgs WHERE") != std::string::npos);
}

TEST_CASE("plan --verify: rows a migration writes with random or clock values are compared by number") {
  // gen_random_uuid() and now() give other values on each of the two runs: those rows cannot match
  // value for value, and are not a difference of the plan. A table the migration writes with
  // constants is still compared row by row (the UPDATE below is staged as a backfill).
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE rules (id int PRIMARY KEY, actions text[] NOT NULL DEFAULT '{}');\n"
      "CREATE TABLE executed (id uuid PRIMARY KEY, at timestamptz NOT NULL, rule_id int, action text);\n"
      "INSERT INTO rules VALUES (1, '{reply,label}'), (2, '{archive}');\n",
      "INSERT INTO executed (id, at, rule_id, action) SELECT gen_random_uuid(), now(), id, unnest(actions) FROM rules;\n"
      "UPDATE rules SET actions = '{}';\n"
      "CREATE TABLE community (id int PRIMARY KEY, name text, published timestamp NOT NULL DEFAULT now());\n"
      "INSERT INTO community (id, name) VALUES (1, 'main');\n");  // the default picks the time
  check_verified(r);
  CHECK(r.out.find("rows of executed compared by number only") != std::string::npos);
  CHECK(r.out.find("rows of community compared by number only (1)") != std::string::npos);
  CHECK(r.out.find("rows of rules compared by number only") == std::string::npos);
}

TEST_CASE("plan --verify: a SQL-standard-body function over a renamed column is dropped and created around the swap") {
  REQUIRE(PgCluster::shared().ok());
  // Bound to the column it names when created (like a view): before, the contract could not drop
  // the copy it was bound to. Another overload of the name, bound to nothing, stays as it is.
  auto r = plan_verified(
      "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n"
      "CREATE FUNCTION user_name(text) RETURNS text LANGUAGE sql AS 'SELECT $1';\n"
      "INSERT INTO users VALUES (1, 'ann');\n",
      "ALTER TABLE users RENAME COLUMN name TO full_name;\n"
      "CREATE FUNCTION user_name(bigint) RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT full_name FROM users WHERE id = "
      "$1; END;\n"
      "CREATE FUNCTION user_len(bigint) RETURNS int LANGUAGE sql RETURN (SELECT length(full_name) FROM users WHERE id = "
      "$1);\n");
  check_verified(r);
  CHECK(r.out.find("EXECUTE 'DROP FUNCTION ' || r.f") != std::string::npos);
  CHECK(r.out.find("p.proname = 'user_name'") != std::string::npos);
  CHECK(r.out.find("p.proname = 'user_len'") != std::string::npos);
}

// Retyping a column of a key (issue #14). The new column gets the key's unique index after the
// backfill; the swap drops the foreign keys to the old column, drops it (with its key), makes the
// new index the key's (ADD CONSTRAINT ... USING INDEX, which gives it the key's name) and re-adds
// the foreign keys NOT VALID, validated in the next steps.

TEST_CASE("plan --verify: the int -> bigint id of a serial PRIMARY KEY that another table references (Rails)") {
  // Rails' legacy `id serial` and `t.references :user, foreign_key: true`; the migration Rails writes
  // for `change_column :users, :id, :bigint`. The sequence stays (and keeps its owner column).
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE users (id serial PRIMARY KEY, email varchar NOT NULL);\n"
      "CREATE TABLE posts (id serial PRIMARY KEY, user_id integer NOT NULL, title varchar);\n"
      "CREATE INDEX index_posts_on_user_id ON posts (user_id);\n"
      "ALTER TABLE posts ADD CONSTRAINT fk_rails_5b5ddfd518 FOREIGN KEY (user_id) REFERENCES users (id) "
      "ON DELETE CASCADE;\n"
      "INSERT INTO users (email) VALUES ('a@x'), ('b@x');\nINSERT INTO posts (user_id, title) VALUES (1, 'p'), (2, 'q');\n",
      "ALTER TABLE \"users\" ALTER COLUMN \"id\" TYPE bigint;\n");
  check_verified(r);
  CHECK(r.out.find("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"users_pkey_pgstage\" ON \"users\" "
                   "(\"id_pgstage_new\")") != std::string::npos);
  CHECK(r.out.find("ALTER TABLE \"posts\" DROP CONSTRAINT \"fk_rails_5b5ddfd518\"") != std::string::npos);
  CHECK(r.out.find("ADD CONSTRAINT \"users_pkey\" PRIMARY KEY USING INDEX \"users_pkey_pgstage\"") !=
        std::string::npos);
  CHECK(r.out.find("FOREIGN KEY (\"user_id\") REFERENCES \"users\" (\"id\") ON DELETE CASCADE NOT VALID") !=
        std::string::npos);
  CHECK(r.out.find("VALIDATE CONSTRAINT \"fk_rails_5b5ddfd518\"") != std::string::npos);
  CHECK(r.out.find("OWNED BY NONE") != std::string::npos);
}

TEST_CASE("plan --verify: a PRIMARY KEY id and the foreign key column to it, both to bigint (Django)") {
  // Django's AutoField -> BigAutoField migration with explicit ids: the key and, in the same file, the
  // column that references it (deferrable, as Django creates its foreign keys).
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE \"shop_customer\" (\"id\" integer NOT NULL PRIMARY KEY, \"name\" varchar(100) NOT NULL);\n"
      "CREATE TABLE \"shop_order\" (\"id\" integer NOT NULL PRIMARY KEY, \"customer_id\" integer NOT NULL);\n"
      "ALTER TABLE \"shop_order\" ADD CONSTRAINT \"shop_order_customer_id_fk_shop_customer_id\" FOREIGN KEY "
      "(\"customer_id\") REFERENCES \"shop_customer\" (\"id\") DEFERRABLE INITIALLY DEFERRED;\n"
      "CREATE INDEX \"shop_order_customer_id_idx\" ON \"shop_order\" (\"customer_id\");\n"
      "INSERT INTO shop_customer VALUES (1, 'a'), (2, 'b');\nINSERT INTO shop_order VALUES (10, 1), (11, 2), (12, 1);\n",
      "ALTER TABLE \"shop_customer\" ALTER COLUMN \"id\" TYPE bigint USING \"id\"::bigint;\n"
      "ALTER TABLE \"shop_order\" ALTER COLUMN \"customer_id\" TYPE bigint USING \"customer_id\"::bigint;\n");
  check_verified(r);
  CHECK(r.out.find("REFERENCES \"shop_customer\" (\"id\") DEFERRABLE INITIALLY DEFERRED NOT VALID") !=
        std::string::npos);
  CHECK(r.out.find("CREATE INDEX CONCURRENTLY IF NOT EXISTS \"shop_order_customer_id_idx_pgstage\"") !=
        std::string::npos);
}

TEST_CASE("plan --verify: UNIQUE columns: one converted with USING, one that another table's key references") {
  // varchar -> int is not binary-coercible: a real conversion. The int -> bigint code is what the
  // other table's foreign key references (its column stays int: Postgres accepts the pair).
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE countries (id bigint PRIMARY KEY, sku varchar(20) NOT NULL UNIQUE, code int UNIQUE);\n"
      "CREATE TABLE cities (id bigint PRIMARY KEY, country_code int REFERENCES countries (code));\n"
      "INSERT INTO countries VALUES (1, '100', 33), (2, '200', NULL);\nINSERT INTO cities VALUES (1, 33), (2, NULL);\n",
      "ALTER TABLE countries ALTER COLUMN sku TYPE int USING sku::int;\n"
      "ALTER TABLE countries ALTER COLUMN code TYPE bigint;\n");
  check_verified(r);
  CHECK(r.out.find("ADD CONSTRAINT \"countries_sku_key\" UNIQUE USING INDEX \"countries_sku_key_pgstage\"") !=
        std::string::npos);
  CHECK(r.out.find("ADD CONSTRAINT \"countries_code_key\" UNIQUE USING INDEX \"countries_code_key_pgstage\"") !=
        std::string::npos);
  CHECK(r.out.find("ALTER TABLE \"cities\" DROP CONSTRAINT \"cities_country_code_fkey\"") != std::string::npos);
}

TEST_CASE("plan --verify: a composite UNIQUE and a composite PRIMARY KEY keep their column order") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE memberships (org_id int NOT NULL, user_id int NOT NULL, email text,\n"
      "  PRIMARY KEY (user_id, org_id), CONSTRAINT memberships_org_email UNIQUE (org_id, email));\n"
      "CREATE TABLE grants (id bigint PRIMARY KEY, org_id int, user_id int,\n"
      "  FOREIGN KEY (user_id, org_id) REFERENCES memberships);\n"
      "INSERT INTO memberships VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 1, 'a');\nINSERT INTO grants VALUES (1, 1, 2);\n",
      "ALTER TABLE memberships ALTER COLUMN org_id TYPE bigint;\n");
  check_verified(r);
  CHECK(r.out.find("(\"user_id\", \"org_id_pgstage_new\")") != std::string::npos);
  CHECK(r.out.find("(\"org_id_pgstage_new\", \"email\")") != std::string::npos);
  CHECK(r.out.find("ALTER TABLE \"grants\" DROP CONSTRAINT \"grants_user_id_org_id_fkey\"") != std::string::npos);
}

TEST_CASE("plan --verify: a foreign key column retyped (and a self-referencing key)") {
  // The foreign key on the retyped column is dropped with the old column and re-added NOT VALID on
  // the new one, then validated; a tree's parent_id references its own table's key.
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE teams (id bigint PRIMARY KEY);\n"
      "CREATE TABLE nodes (id int PRIMARY KEY, parent_id int REFERENCES nodes (id) ON DELETE SET NULL,\n"
      "  team_id int NOT NULL REFERENCES teams);\n"
      "INSERT INTO teams VALUES (7), (8);\nINSERT INTO nodes VALUES (1, NULL, 7), (2, 1, 8), (3, 2, 7);\n",
      "ALTER TABLE nodes ALTER COLUMN team_id TYPE bigint;\n"
      "ALTER TABLE nodes ALTER COLUMN id TYPE bigint;\n");
  check_verified(r);
  CHECK(r.out.find("ADD CONSTRAINT \"nodes_team_id_fkey\" FOREIGN KEY (\"team_id\") REFERENCES \"teams\" NOT VALID") !=
        std::string::npos);
  CHECK(r.out.find("ADD CONSTRAINT \"nodes_parent_id_fkey\" FOREIGN KEY (\"parent_id\") REFERENCES \"nodes\" "
                   "(\"id\") ON DELETE SET NULL NOT VALID") != std::string::npos);
}

TEST_CASE("plan --verify: foreign keys to a retyped key dropped before or after the type change") {
  // The dance Rails developers write (remove_foreign_key, change_column twice, add_foreign_key): the
  // re-added key uses both retyped columns, so it runs after both swaps. A foreign key the migration
  // drops after the type change is dropped after the swap that re-created it.
  REQUIRE(PgCluster::shared().ok());
  const char* before =
      "CREATE TABLE users (id serial PRIMARY KEY, email varchar NOT NULL);\n"
      "CREATE TABLE posts (id serial PRIMARY KEY, user_id integer NOT NULL);\n"
      "ALTER TABLE posts ADD CONSTRAINT fk_rails_5b5ddfd518 FOREIGN KEY (user_id) REFERENCES users (id);\n"
      "INSERT INTO users (email) VALUES ('a@x'), ('b@x');\nINSERT INTO posts (user_id) VALUES (1), (2);\n";
  auto r = plan_verified(before,
                         "ALTER TABLE \"posts\" DROP CONSTRAINT \"fk_rails_5b5ddfd518\";\n"
                         "ALTER TABLE \"users\" ALTER COLUMN \"id\" TYPE bigint;\n"
                         "ALTER TABLE \"posts\" ALTER COLUMN \"user_id\" TYPE bigint;\n"
                         "ALTER TABLE \"posts\" ADD CONSTRAINT \"fk_rails_5b5ddfd518\" FOREIGN KEY (\"user_id\") "
                         "REFERENCES \"users\" (\"id\");\n");
  check_verified(r);
  r = plan_verified(before,
                    "ALTER TABLE users ALTER COLUMN id TYPE bigint;\n"
                    "ALTER TABLE posts DROP CONSTRAINT fk_rails_5b5ddfd518;\n");
  check_verified(r);
}

TEST_CASE("plan --verify: a UNIQUE ... INCLUDE and a deferrable UNIQUE keep their index options") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE seats (id bigint PRIMARY KEY, row_no int NOT NULL, label text,\n"
      "  CONSTRAINT seats_row UNIQUE (row_no) INCLUDE (label),\n"
      "  CONSTRAINT seats_label UNIQUE (label, row_no) DEFERRABLE INITIALLY DEFERRED);\n"
      "INSERT INTO seats VALUES (1, 1, 'a'), (2, 2, 'b');\n",
      "ALTER TABLE seats ALTER COLUMN row_no TYPE bigint;\n");
  check_verified(r);
  CHECK(r.out.find("(\"row_no_pgstage_new\") INCLUDE (\"label\")") != std::string::npos);
  CHECK(r.out.find("UNIQUE USING INDEX \"seats_label_pgstage\" DEFERRABLE INITIALLY DEFERRED") != std::string::npos);
}

TEST_CASE("plan --verify: NULLS NOT DISTINCT and storage parameters stay on copied and carried indexes") {
  REQUIRE(PgCluster::shared().ok());
  // A retyped UNIQUE key, and a plain unique index on a renamed column: each copy is the same index.
  auto r = plan_verified(
      "CREATE TABLE badges (id bigint PRIMARY KEY, code int, holder text,\n"
      "  CONSTRAINT badges_code UNIQUE NULLS NOT DISTINCT (code) WITH (fillfactor = 70));\n"
      "CREATE UNIQUE INDEX badges_holder ON badges (holder) NULLS NOT DISTINCT WITH (deduplicate_items = off);\n"
      "INSERT INTO badges VALUES (1, 1, 'a'), (2, NULL, NULL), (3, 3, 'c');\n",
      "ALTER TABLE badges ALTER COLUMN code TYPE bigint;\n"
      "ALTER TABLE badges RENAME COLUMN holder TO owner;\n");
  check_verified(r);
  CHECK(r.out.find("(\"code_pgstage_new\") NULLS NOT DISTINCT WITH (\"fillfactor\" = '70')") != std::string::npos);
  CHECK(r.out.find("(\"owner\") NULLS NOT DISTINCT WITH (\"deduplicate_items\" = 'off')") != std::string::npos);
}

TEST_CASE("plan --verify: an added UNIQUE constraint's index keeps INCLUDE, NULLS NOT DISTINCT, WITH and deferral") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE tickets (id bigint PRIMARY KEY, seat int, holder text);\n"
      "INSERT INTO tickets VALUES (1, 1, 'a'), (2, NULL, 'b');\n",
      "ALTER TABLE tickets ADD CONSTRAINT tickets_seat UNIQUE NULLS NOT DISTINCT (seat) INCLUDE (holder)\n"
      "  WITH (fillfactor = 80) DEFERRABLE INITIALLY DEFERRED;\n");
  check_verified(r);
  CHECK(r.out.find("(\"seat\") INCLUDE (\"holder\") NULLS NOT DISTINCT WITH (\"fillfactor\" = '80')") !=
        std::string::npos);
  CHECK(r.out.find("UNIQUE USING INDEX \"tickets_seat\" DEFERRABLE INITIALLY DEFERRED") != std::string::npos);
}

TEST_CASE("plan --verify: identity ids to bigint (Django 4.1+ AutoField -> BigAutoField), the sequence carries on") {
  REQUIRE(PgCluster::shared().ok());
  // Django's tables: identity ids, a deferrable foreign key between them. A second table with an
  // ALWAYS identity and sequence options of its own.
  auto r = plan_verified(
      "CREATE TABLE \"app_author\" (\"id\" integer NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,\n"
      "  \"name\" varchar(100) NOT NULL);\n"
      "CREATE TABLE \"app_book\" (\"id\" integer NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,\n"
      "  \"author_id\" integer NOT NULL);\n"
      "ALTER TABLE \"app_book\" ADD CONSTRAINT \"app_book_author_id_fk_app_author_id\" FOREIGN KEY (\"author_id\")\n"
      "  REFERENCES \"app_author\" (\"id\") DEFERRABLE INITIALLY DEFERRED;\n"
      "CREATE TABLE events (id smallint GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5 CACHE 2)\n"
      "  PRIMARY KEY, kind text);\n"
      "INSERT INTO app_author (name) VALUES ('a'), ('b'), ('c');\n"
      "INSERT INTO app_book (author_id) VALUES (1), (2), (3);\n"
      "INSERT INTO events (kind) VALUES ('x'), ('y');\n",
      "ALTER TABLE \"app_author\" ALTER COLUMN \"id\" TYPE bigint USING \"id\"::bigint;\n"
      "ALTER TABLE \"app_book\" ALTER COLUMN \"id\" TYPE bigint USING \"id\"::bigint;\n"
      "ALTER TABLE \"app_book\" ALTER COLUMN \"author_id\" TYPE bigint USING \"author_id\"::bigint;\n"
      "ALTER TABLE events ALTER COLUMN id TYPE integer;\n");
  check_verified(r);
  CHECK(r.out.find("ADD GENERATED %s AS IDENTITY (SEQUENCE NAME %s") != std::string::npos);
  CHECK(r.out.find("refuse") == std::string::npos);
}

TEST_CASE("plan: retyping a generated column is refused, saying why and what to do") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified("CREATE TABLE boxes (id bigint PRIMARY KEY, w int, area int GENERATED ALWAYS AS (w * w) STORED);\n",
                         "ALTER TABLE boxes ALTER COLUMN area TYPE bigint;\n");
  INFO(r.out, r.err);
  CHECK(r.exit_code != 0);
  CHECK((r.out + r.err).find("is a generated column") != std::string::npos);
  CHECK((r.out + r.err).find("maintenance window") != std::string::npos);
}

TEST_CASE("plan --verify: the table's own triggers do not fire on a recipe's backfill (as ALTER TABLE fires none)") {
  REQUIRE(PgCluster::shared().ok());
  // A trigger that counts updates (the shape of an updated_at or audit trigger): the staged rename
  // and type change must leave the count as the migration as written does.
  auto r = plan_verified(
      "CREATE TABLE notes (id bigint PRIMARY KEY, body text, words int, edits int NOT NULL DEFAULT 0);\n"
      "CREATE FUNCTION count_edit() RETURNS trigger LANGUAGE plpgsql AS $$\n"
      "BEGIN NEW.edits := OLD.edits + 1; RETURN NEW; END $$;\n"
      "CREATE TRIGGER notes_edits BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION count_edit();\n"
      "INSERT INTO notes (id, body, words) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3);\n",
      "ALTER TABLE notes RENAME COLUMN body TO text_body;\n"
      "ALTER TABLE notes ALTER COLUMN words TYPE bigint;\n");
  check_verified(r);
}

TEST_CASE("plan --verify: an UPDATE the migration writes still fires the table's triggers in its batches") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE notes (id bigint PRIMARY KEY, body text, edits int NOT NULL DEFAULT 0);\n"
      "CREATE FUNCTION count_edit() RETURNS trigger LANGUAGE plpgsql AS $$\n"
      "BEGIN NEW.edits := OLD.edits + 1; RETURN NEW; END $$;\n"
      "CREATE TRIGGER notes_edits BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION count_edit();\n"
      "INSERT INTO notes (id, body) VALUES (1, 'a'), (2, NULL), (3, NULL);\n",
      "UPDATE notes SET body = coalesce(body, 'empty');\n");
  check_verified(r);  // as written every row's edits goes to 1: the batches must do the same
  CHECK(r.out.find("[backfill-1-backfill]") != std::string::npos);
}

TEST_CASE("plan --verify: a copied index keeps its tablespace") {
  REQUIRE(PgCluster::shared().ok());
  std::string ts = "ts_verify_" + std::to_string(getpid());
  {
    pqxx::connection c(PgCluster::shared().url());
    pqxx::nontransaction tx(c);
    tx.exec(PgCluster::shared().tablespace_sql(ts));
  }
  auto r = plan_verified(
      "CREATE TABLE parcels (id bigint PRIMARY KEY, code int);\n"
      "CREATE UNIQUE INDEX parcels_code ON parcels (code) WITH (fillfactor = 90) TABLESPACE " + ts + ";\n"
      "INSERT INTO parcels VALUES (1, 1), (2, 2);\n",
      "ALTER TABLE parcels RENAME COLUMN code TO label;\n");
  check_verified(r);  // the executor built the copy there: the server took the clause
  CHECK(r.out.find("(\"label\") WITH (\"fillfactor\" = '90') TABLESPACE \"" + ts + "\"") != std::string::npos);
}

TEST_CASE("plan --verify: a CHECK (c IS NOT NULL) follows a type change to the new column, with SET NOT NULL in either order") {
  REQUIRE(PgCluster::shared().ok());
  // Written in CREATE TABLE with NOT VALID (Postgres makes it valid anyway) and added later.
  const std::string before =
      "CREATE TABLE stock (id bigint PRIMARY KEY, qty int, CONSTRAINT qty_nn CHECK (qty IS NOT NULL) NOT VALID,\n"
      "  reserved int);\n"
      "ALTER TABLE stock ADD CONSTRAINT reserved_nn CHECK (reserved IS NOT NULL);\n"
      "INSERT INTO stock VALUES (1, 5, 1), (2, 7, 0);\n";
  auto r = plan_verified(before, "ALTER TABLE stock ALTER COLUMN qty TYPE bigint;\n");
  check_verified(r);
  CHECK(r.out.find("ADD CONSTRAINT \"qty_nn\" CHECK (\"qty\" IS NOT NULL) NOT VALID") != std::string::npos);
  // SET NOT NULL with the type change: it must hold on the new column, so it follows the swap.
  r = plan_verified(before,
                    "ALTER TABLE stock ALTER COLUMN qty TYPE bigint, ALTER COLUMN qty SET NOT NULL;\n"
                    "ALTER TABLE stock ALTER COLUMN reserved SET NOT NULL, ALTER COLUMN reserved TYPE bigint;\n");
  check_verified(r);
  CHECK(r.out.find("cannot be split off") == std::string::npos);
}

TEST_CASE("plan --verify: an added PRIMARY KEY's index keeps INCLUDE and WITH") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE seats (code int NOT NULL, holder text);\n"
      "INSERT INTO seats VALUES (1, 'a'), (2, 'b');\n",
      "ALTER TABLE seats ADD CONSTRAINT seats_pkey PRIMARY KEY (code) INCLUDE (holder) WITH (fillfactor = 70);\n");
  check_verified(r);
  CHECK(r.out.find("(\"code\") INCLUDE (\"holder\") WITH (\"fillfactor\" = '70')") != std::string::npos);
  CHECK(r.out.find("PRIMARY KEY USING INDEX \"seats_pkey\"") != std::string::npos);
}

TEST_CASE("plan --verify: a row-level security policy over a renamed column follows the rename") {
  REQUIRE(PgCluster::shared().ok());
  auto r = plan_verified(
      "CREATE TABLE docs (id bigint PRIMARY KEY, owner_name text NOT NULL, body text);\n"
      "ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\n"
      "CREATE POLICY docs_owner ON docs USING (owner_name = current_user);\n"
      "INSERT INTO docs VALUES (1, 'a', 'x'), (2, 'b', 'y');\n",
      "ALTER TABLE docs RENAME COLUMN owner_name TO owner;\n");
  check_verified(r);
}

TEST_CASE("plan --verify: both columns of a UNIQUE pair to bigint in one migration (Django's many-to-many table)") {
  REQUIRE(PgCluster::shared().ok());
  // DEFAULT_AUTO_FIELD = BigAutoField: Django alters id, book_id and author_id of the through table
  // one statement each; book_id and author_id form its UNIQUE pair.
  auto r = plan_verified(
      "CREATE TABLE \"app_book_authors\" (\"id\" integer NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,\n"
      "  \"book_id\" integer NOT NULL, \"author_id\" integer NOT NULL);\n"
      "ALTER TABLE \"app_book_authors\" ADD CONSTRAINT \"app_book_authors_book_id_author_id_0c8b4f34_uniq\"\n"
      "  UNIQUE (\"book_id\", \"author_id\");\n"
      "CREATE INDEX \"app_book_authors_author_id_idx\" ON \"app_book_authors\" (\"author_id\");\n"
      "INSERT INTO app_book_authors (book_id, author_id) VALUES (1, 1), (1, 2), (2, 1);\n",
      "ALTER TABLE \"app_book_authors\" ALTER COLUMN \"id\" TYPE bigint USING \"id\"::bigint;\n"
      "ALTER TABLE \"app_book_authors\" ALTER COLUMN \"book_id\" TYPE bigint USING \"book_id\"::bigint;\n"
      "ALTER TABLE \"app_book_authors\" ALTER COLUMN \"author_id\" TYPE bigint USING \"author_id\"::bigint;\n");
  check_verified(r);
  CHECK(r.out.find("UNIQUE USING INDEX \"app_book_authors_book_id_author_id_0c8b4f34_uniq_pgstage2\"") !=
        std::string::npos);
}

TEST_CASE("plan --verify: a composite key, index and foreign key over columns renamed and retyped in one migration") {
  REQUIRE(PgCluster::shared().ok());
  // Retype a, rename b, retype c: every index and key over them is built once more over the
  // columns the pending swaps keep; an index holding c only in INCLUDE, one holding d only in its
  // predicate; an unnamed CHECK over three columns (Postgres calls it ab_check).
  const std::string before =
      "CREATE TABLE ab (id bigint PRIMARY KEY, a int NOT NULL, b int NOT NULL, c int, d int,\n"
      "  CHECK (a > 0 AND b > 0 AND c > 0));\n"
      "CREATE INDEX ab_a_b ON ab (a, b) INCLUDE (c) WHERE a > 0 AND b > 0;\n"
      "CREATE INDEX ab_live ON ab (id) WHERE d IS NOT NULL;\n"
      "ALTER TABLE ab ADD CONSTRAINT ab_uq UNIQUE (a, b, c);\n"
      "CREATE TABLE refs (id int PRIMARY KEY, a int, b int, c int, FOREIGN KEY (a, b, c) REFERENCES ab (a, b, c));\n"
      "INSERT INTO ab VALUES (1, 1, 1, 1, 1), (2, 2, 2, 2, NULL);\n"
      "INSERT INTO refs VALUES (1, 1, 1, 1);\n";
  auto r = plan_verified(before,
                         "ALTER TABLE ab ALTER COLUMN a TYPE bigint;\n"
                         "ALTER TABLE ab RENAME COLUMN b TO bb;\n"
                         "ALTER TABLE ab ALTER COLUMN c TYPE bigint, ALTER COLUMN d TYPE bigint;\n");
  check_verified(r);
  r = plan_verified(before,
                    "ALTER TABLE ab RENAME COLUMN a TO aa;\n"
                    "ALTER TABLE ab ALTER COLUMN b TYPE bigint;\n");
  check_verified(r);
}

TEST_CASE("plan --verify: indexes on a partitioned table: ON ONLY, each partition's built CONCURRENTLY and attached") {
  REQUIRE(PgCluster::shared().ok());
  // Postgres refuses CREATE INDEX CONCURRENTLY on a partitioned table; ev_2021 is partitioned again.
  const std::string before =
      "CREATE TABLE ev (id bigint NOT NULL, at date NOT NULL, n int, tag text NOT NULL, PRIMARY KEY (id, at, tag))\n"
      "  PARTITION BY RANGE (at);\n"
      "CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n"
      "CREATE TABLE ev_2021 PARTITION OF ev FOR VALUES FROM ('2021-01-01') TO ('2022-01-01') PARTITION BY LIST (tag);\n"
      "CREATE TABLE ev_2021_a PARTITION OF ev_2021 FOR VALUES IN ('a');\n"
      "CREATE TABLE ev_2021_b PARTITION OF ev_2021 FOR VALUES IN ('b');\n"
      "CREATE INDEX ev_n ON ev (n) WHERE n > 0;\n"
      "INSERT INTO ev VALUES (1, '2020-02-02', 1, 'x'), (2, '2021-02-02', 2, 'a');\n";
  auto r = plan_verified(before,
                         "CREATE INDEX ev_tag ON ev (tag DESC) INCLUDE (n) WHERE n > 0;\n"
                         "CREATE UNIQUE INDEX ON ev (id, at, tag, lower(tag));\n");
  check_verified(r);
  CHECK(r.out.find("CREATE INDEX IF NOT EXISTS \"ev_tag\" ON ONLY \"ev\"") != std::string::npos);
  CHECK(r.out.find("CREATE INDEX CONCURRENTLY IF NOT EXISTS \"ev_2021_a_tag_idx\" ON \"ev_2021_a\"") !=
        std::string::npos);
  CHECK(r.out.find("ALTER INDEX \"ev_2021_tag_idx\" ATTACH PARTITION \"ev_2021_b_tag_idx\"") != std::string::npos);
  CHECK(r.out.find("CONCURRENTLY IF NOT EXISTS \"ev_tag\"") == std::string::npos);  // never on the parent
  // A partitioned index is dropped as written (no CONCURRENTLY for it), under the lock timeout.
  r = plan_verified(before, "DROP INDEX ev_n;\n");
  check_verified(r);
  CHECK(r.out.find("DROP INDEX IF EXISTS \"ev_n\"") != std::string::npos);
  // A type change and a rename of an indexed column copy the index the same way.
  check_verified(plan_verified(before, "ALTER TABLE ev ALTER COLUMN n TYPE bigint;\n"));
  check_verified(plan_verified(before, "ALTER TABLE ev RENAME COLUMN n TO m;\n"));
  // A key column cannot move: no ADD CONSTRAINT ... USING INDEX on a partitioned table.
  r = plan_verified(before, "ALTER TABLE ev ALTER COLUMN id TYPE numeric;\n");
  INFO(r.out, r.err);
  CHECK(r.exit_code != 0);
  CHECK((r.out + r.err).find("ev is partitioned and ev.id is in its PRIMARY KEY ev_pkey") != std::string::npos);
}

}  // namespace integration_plan_verify_recipes_test
