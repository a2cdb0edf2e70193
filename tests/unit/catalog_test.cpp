// Catalog replay: history builds the existing schema; the file under review creates new objects.
#include <doctest/doctest.h>

#include "analyzer/lint.h"
#include "analyzer/lower.h"
#include "rules/registry.h"
#include "tests/support/lint_helpers.h"

namespace unit_catalog_test {

using namespace pgstage;

namespace {

void replay(Catalog& c, const std::string& sql, bool in_review) {
  SourceFile f = make_source("c.sql", sql, Layout::Plain);
  for (auto& st : parse_source(f).statements)
    for (auto& ch : lower(st, f).changes) c.apply(ch, in_review);
}

}  // namespace

TEST_CASE("replay tracks columns, types, nullability, defaults, constraints and indexes") {
  Catalog c;
  replay(c,
         "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email varchar(50));\n"
         "ALTER TABLE users ADD COLUMN role text NOT NULL DEFAULT 'member';\n"
         "ALTER TABLE users ALTER COLUMN email TYPE varchar(255);\n"
         "ALTER TABLE users RENAME COLUMN name TO full_name;\n"
         "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
         "CREATE INDEX users_email_idx ON users (email);\n",
         false);
  const CatalogTable* t = c.table(QualifiedName{"", "users"});
  REQUIRE(t);
  CHECK(c.table(QualifiedName{"public", "users"}) == t);
  CHECK_FALSE(t->created_in_review);
  CHECK(t->column("name") == nullptr);
  REQUIRE(t->column("full_name"));
  CHECK(t->column("full_name")->not_null);
  CHECK(t->column("id")->not_null);
  REQUIRE(t->column("role")->default_expr);
  CHECK(t->column("email")->type.typmods == std::vector<int>{255});
  auto* k = t->constraint("email_nn");
  REQUIRE(k);
  CHECK_FALSE(k->validated);
  CHECK(k->not_null_column == "email");
  REQUIRE(c.index(QualifiedName{"", "users_email_idx"}));
  CHECK(c.index(QualifiedName{"", "users_pkey"}));

  replay(c, "ALTER TABLE users VALIDATE CONSTRAINT email_nn;\nALTER TABLE users DROP COLUMN email;", false);
  CHECK(c.table(QualifiedName{"", "users"})->column("email") == nullptr);
  CHECK(c.index(QualifiedName{"", "users_email_idx"}) == nullptr);
}

TEST_CASE("CREATE TABLE's CHECKs and foreign keys are valid even when they say NOT VALID (as Postgres makes them)") {
  Catalog c;
  replay(c,
         "CREATE TABLE teams (id bigint PRIMARY KEY);\n"
         "CREATE TABLE m (id bigint PRIMARY KEY, qty int, team bigint,\n"
         "  CONSTRAINT qty_nn CHECK (qty IS NOT NULL) NOT VALID,\n"
         "  CONSTRAINT m_team FOREIGN KEY (team) REFERENCES teams NOT VALID);\n"
         "ALTER TABLE m ADD CONSTRAINT qty_pos CHECK (qty > 0) NOT VALID;\n",
         false);
  const CatalogTable* t = c.table(QualifiedName{"", "m"});
  REQUIRE(t);
  REQUIRE(t->constraint("qty_nn"));
  CHECK(t->constraint("qty_nn")->validated);
  REQUIRE(t->constraint("m_team"));
  CHECK(t->constraint("m_team")->validated);
  REQUIRE(t->constraint("qty_pos"));
  CHECK_FALSE(t->constraint("qty_pos")->validated);  // ALTER TABLE ... NOT VALID stays so
}

TEST_CASE("a renamed column is followed by CHECK text, index INCLUDE and predicate, and foreign keys to it") {
  Catalog c;
  replay(c,
         "CREATE TABLE p (a int, b int, CHECK (a > 0 AND b > 0), CHECK (b < 10), UNIQUE (a, b));\n"
         "CREATE TABLE r (x int, y int, FOREIGN KEY (x, y) REFERENCES p (a, b));\n"
         "CREATE INDEX p_b ON p (b) INCLUDE (a) WHERE a IS NOT NULL;\n"
         "ALTER TABLE p RENAME COLUMN a TO aa;\n",
         false);
  const CatalogTable* p = c.table(QualifiedName{"", "p"});
  REQUIRE(p);
  // Postgres names an unnamed CHECK after the one column it references, or after none.
  REQUIRE(p->constraint("p_check"));
  CHECK(p->constraint("p_check")->check_sql == "\"aa\" > 0 AND b > 0");
  CHECK(p->constraint("p_b_check"));
  const CatalogIndex* ix = c.index(QualifiedName{"", "p_b"});
  REQUIRE(ix);
  CHECK(ix->include == std::vector<std::string>{"aa"});
  CHECK(ix->where_sql == "\"aa\" IS NOT NULL");
  const CatalogTable* r = c.table(QualifiedName{"", "r"});
  REQUIRE(r);
  REQUIRE(r->constraints.size() == 1);
  CHECK(r->constraints[0].ref_columns == std::vector<std::string>{"aa", "b"});
}

TEST_CASE("objects created in review are new; mark_all_existing ends the change set") {
  Catalog c;
  replay(c, "CREATE TABLE old_t (id int);", false);
  replay(c, "CREATE TABLE new_t (id int); CREATE TYPE mood AS ENUM ('a');", true);
  CHECK_FALSE(c.is_new(QualifiedName{"", "old_t"}));
  CHECK(c.is_new(QualifiedName{"", "new_t"}));
  CHECK(c.object("type", QualifiedName{"", "mood"})->created_in_review);
  CHECK_FALSE(c.is_new(QualifiedName{"", "unknown_t"}));
  c.mark_all_existing();
  CHECK_FALSE(c.is_new(QualifiedName{"", "new_t"}));
}

TEST_CASE("a table created in an earlier file is not new; one created in the file under review is") {
  LintOptions opts;
  auto r = test::lint_text(
      "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n-- pgstage:history-end\n"
      "CREATE TABLE posts (id bigint PRIMARY KEY, title text);\n"
      "ALTER TABLE posts DROP COLUMN title;\n"
      "ALTER TABLE users DROP COLUMN name;\n",
      opts);
  auto drops = test::findings_of(r, "dropping-column");
  REQUIRE(drops.size() == 1);
  CHECK(drops[0].start.line == 3);
  CHECK(drops[0].message.find("`users.name`") != std::string::npos);
}

TEST_CASE("directory lint: each file is its own change set, earlier files are history for later ones") {
  std::string dir = std::string(PGSTAGE_SOURCE_DIR) + "/samples/migrations";
  LintOptions opts;
  auto r = run_lint({LintInput{dir, false, {}, false}}, rules::all(), opts);
  REQUIRE(r.errors.empty());
  REQUIRE(r.files.size() == 4);
  for (auto& f : r.findings) CHECK_MESSAGE(f.file.find("001_") == std::string::npos, f.rule << " in " << f.file);
  // 003 renames users.name, created by 001: the table exists, so the rename is reported.
  bool rename = false;
  for (auto& f : r.findings) rename |= f.rule == "renaming-column" && f.file.find("003_") != std::string::npos;
  CHECK(rename);
}

TEST_CASE("a renamed table: foreign keys to it, its partitions and its indexes follow the new name") {
  Catalog c;
  replay(c,
         "CREATE TABLE accounts (id bigint PRIMARY KEY);\n"
         "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n"
         "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\n"
         "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
         "CREATE INDEX accounts_id_idx ON accounts (id);\n"
         "ALTER TABLE accounts RENAME TO customers;\n"
         "ALTER TABLE events RENAME TO activity;\n"
         "CREATE TABLE accounts (id bigint);\n",
         false);
  const CatalogTable* orders = c.table(QualifiedName{"", "orders"});
  REQUIRE(orders);
  bool fk = false;
  for (auto& k : orders->constraints)
    if (k.kind == ConstraintKind::ForeignKey) {
      fk = true;
      CHECK(k.ref_table.name == "customers");
    }
  CHECK(fk);
  const CatalogTable* part = c.table(QualifiedName{"", "events_2024"});
  REQUIRE(part);
  CHECK(part->partition_of.name == "activity");
  CHECK(c.indexes_on(QualifiedName{"", "accounts"}).empty());  // the new `accounts` has none of the old indexes
  CHECK(c.indexes_on(QualifiedName{"", "customers"}).size() >= 1);
}

}  // namespace unit_catalog_test
