// Lowering: each statement kind becomes the typed Change the rules and planner read.
#include <doctest/doctest.h>

#include "analyzer/lower.h"
#include "analyzer/parse.h"

namespace unit_lower_test {

using namespace pgstage;

namespace {

struct Lowered {
  SourceFile file;
  std::vector<LoweredStatement> stmts;
};

Lowered lower_all(const std::string& sql) {
  Lowered l{make_source("l.sql", sql, Layout::Plain), {}};
  for (auto& st : parse_source(l.file).statements) l.stmts.push_back(lower(st, l.file));
  return l;
}

// The single Change of a one-statement SQL text, checked to be of type T.
template <class T>
T only(const std::string& sql) {
  auto l = lower_all(sql);
  REQUIRE(l.stmts.size() == 1);
  REQUIRE(l.stmts[0].changes.size() == 1);
  const T* v = l.stmts[0].changes[0].as<T>();
  REQUIRE_MESSAGE(v != nullptr, "got " << change_kind_name(l.stmts[0].changes[0]));
  return *v;
}

}  // namespace

TEST_CASE("CREATE TABLE: columns, types, inline and table constraints") {
  auto t = only<CreateTable>(
      "CREATE TABLE app.users (id bigserial PRIMARY KEY, email varchar(50) NOT NULL UNIQUE, "
      "org_id int REFERENCES orgs (id), total numeric(10,2) DEFAULT 0 CHECK (total >= 0), "
      "CONSTRAINT users_email_chk CHECK (email <> ''))");
  CHECK(t.table == QualifiedName{"app", "users"});
  REQUIRE(t.columns.size() == 4);
  CHECK(t.columns[0].type.is_serial);
  CHECK(t.columns[0].type.name == "int8");
  CHECK(t.columns[0].primary_key);
  CHECK(t.columns[1].type.name == "varchar");
  CHECK(t.columns[1].type.typmods == std::vector<int>{50});
  CHECK(t.columns[1].not_null);
  CHECK(t.columns[1].unique);
  REQUIRE(t.columns[2].constraints.size() == 1);
  CHECK(t.columns[2].constraints[0].kind == ConstraintKind::ForeignKey);
  CHECK(t.columns[2].constraints[0].ref_table.name == "orgs");
  CHECK(t.columns[3].type.typmods == std::vector<int>{10, 2});
  REQUIRE(t.columns[3].default_expr);
  CHECK(t.columns[3].default_expr->sql == "0");
  REQUIRE(t.constraints.size() == 1);
  CHECK(t.constraints[0].name == "users_email_chk");
  REQUIRE(t.constraints[0].check);
  CHECK(t.constraints[0].check->sql == "email <> ''");
}

TEST_CASE("ALTER TABLE subcommands lower one Change each, in order") {
  auto l = lower_all(
      "ALTER TABLE users ADD COLUMN a text DEFAULT now()::text, DROP COLUMN b, ALTER COLUMN c TYPE bigint USING "
      "c::bigint, "
      "ALTER COLUMN d SET NOT NULL, ALTER COLUMN e DROP NOT NULL, ALTER COLUMN f SET DEFAULT 1, "
      "ALTER COLUMN g DROP DEFAULT, ADD CONSTRAINT fk FOREIGN KEY (h) REFERENCES orgs (id) NOT VALID, "
      "VALIDATE CONSTRAINT fk, DROP CONSTRAINT old_chk, SET LOGGED");
  REQUIRE(l.stmts.size() == 1);
  auto& ch = l.stmts[0].changes;
  REQUIRE(ch.size() == 11);
  std::vector<std::string> kinds;
  for (auto& c : ch) kinds.push_back(change_kind_name(c));
  CHECK(kinds == std::vector<std::string>{"AddColumn", "DropColumn", "AlterColumnType", "SetNotNull", "DropNotNull",
                                          "SetDefault", "DropDefault", "AddConstraint", "ValidateConstraint",
                                          "DropConstraint", "AlterTableOther"});
  auto* add = ch[0].as<AddColumn>();
  REQUIRE(add->column.default_expr);
  CHECK(add->column.default_expr->volatility == Volatility::Stable);
  auto* t = ch[2].as<AlterColumnType>();
  CHECK(t->new_type.name == "int8");
  REQUIRE(t->using_expr);
  CHECK(t->using_expr->cast_of_column == "c");
  auto* fk = ch[7].as<AddConstraint>();
  CHECK(fk->constraint.kind == ConstraintKind::ForeignKey);
  CHECK(fk->constraint.not_valid);
  CHECK(fk->constraint.columns == std::vector<std::string>{"h"});
  CHECK(ch[10].as<AlterTableOther>()->subcommand == "AT_SetLogged");
}

TEST_CASE("default volatility: built-ins, SQL value functions, unknown functions") {
  auto vol = [](const std::string& expr) {
    return only<AddColumn>("ALTER TABLE t ADD COLUMN c text DEFAULT " + expr).column.default_expr->volatility;
  };
  CHECK(vol("'x'") == Volatility::Immutable);
  CHECK(vol("now()") == Volatility::Stable);
  CHECK(vol("CURRENT_TIMESTAMP") == Volatility::Stable);
  CHECK(vol("random()::text") == Volatility::Volatile);
  CHECK(vol("gen_random_uuid()") == Volatility::Volatile);
  auto a = only<AddColumn>("ALTER TABLE t ADD COLUMN c text DEFAULT my_slug()");
  CHECK(a.column.default_expr->volatility == Volatility::Volatile);
  CHECK(a.column.default_expr->unknown_functions == std::vector<std::string>{"my_slug"});
  CHECK(only<AddColumn>("ALTER TABLE t ADD COLUMN c text DEFAULT NULL").column.default_expr->is_null_constant);
}

TEST_CASE("renames") {
  auto rc = only<RenameColumn>("ALTER TABLE users RENAME COLUMN name TO full_name");
  CHECK(rc.column == "name");
  CHECK(rc.new_name == "full_name");
  auto rt = only<RenameTable>("ALTER TABLE public.users RENAME TO accounts");
  CHECK(rt.table == QualifiedName{"public", "users"});
  CHECK(rt.new_name == "accounts");
  auto rv = only<RenameObject>("ALTER VIEW v RENAME TO w");
  CHECK(rv.kind == "view");
  auto re = only<RenameObject>("ALTER TYPE status RENAME VALUE 'a' TO 'b'");
  CHECK(re.kind == "enum value");
  CHECK(re.old_value == "a");
  CHECK(re.new_name == "b");
  auto rs = only<RenameObject>("ALTER SCHEMA app RENAME TO app2");
  CHECK(rs.kind == "schema");
}

TEST_CASE("indexes") {
  auto ci =
      only<CreateIndex>("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t USING gin (a, lower(b)) WHERE a > 0");
  CHECK(ci.unique);
  CHECK(ci.concurrently);
  CHECK(ci.if_not_exists);
  CHECK(ci.partial);
  CHECK(ci.method == "gin");
  CHECK(ci.columns == std::vector<std::string>{"a", "lower(b)"});
  CHECK(ci.storage == IndexStorage{});
  // How it is stored, so that a copy is the same index: NULLS NOT DISTINCT, WITH (...), TABLESPACE.
  auto stored = only<CreateIndex>(
      "CREATE UNIQUE INDEX i ON t (a) NULLS NOT DISTINCT WITH (fillfactor = 70, deduplicate_items = off) "
      "TABLESPACE \"Fast\"");
  CHECK(stored.storage.nulls_not_distinct);
  CHECK(stored.storage.with == "\"fillfactor\" = '70', \"deduplicate_items\" = 'off'");
  CHECK(stored.storage.tablespace == "Fast");
  auto key = only<AddConstraint>(
      "ALTER TABLE t ADD CONSTRAINT k UNIQUE NULLS NOT DISTINCT (a) INCLUDE (b) WITH (fillfactor = 80) "
      "USING INDEX TABLESPACE ts DEFERRABLE INITIALLY DEFERRED");
  CHECK(key.constraint.storage == IndexStorage{true, "\"fillfactor\" = '80'", "ts"});
  CHECK(key.constraint.include == std::vector<std::string>{"b"});
  CHECK(key.constraint.deferral == " DEFERRABLE INITIALLY DEFERRED");
  auto di = only<DropIndex>("DROP INDEX CONCURRENTLY IF EXISTS app.i");
  CHECK(di.concurrently);
  CHECK(di.names == std::vector<QualifiedName>{{"app", "i"}});
  auto ri = only<Reindex>("REINDEX TABLE CONCURRENTLY t");
  CHECK(ri.kind == "table");
  CHECK(ri.concurrently);
}

TEST_CASE("drops, truncate, transactions, settings, DML") {
  auto dt = only<DropTable>("DROP TABLE IF EXISTS a, b CASCADE");
  CHECK(dt.tables.size() == 2);
  CHECK(dt.if_exists);
  CHECK(dt.cascade);
  auto dob = only<DropObject>("DROP FUNCTION f(int)");
  CHECK(dob.kind == "function");
  CHECK(dob.names[0].name == "f");
  CHECK(only<DropObject>("DROP VIEW v").kind == "view");
  CHECK(only<Truncate>("TRUNCATE t CASCADE").cascade);
  CHECK(only<TransactionControl>("BEGIN").kind == TxKind::Begin);
  CHECK(only<TransactionControl>("COMMIT").kind == TxKind::Commit);
  auto sv = only<SetVariable>("SET lock_timeout = '2s'");
  CHECK(sv.name == "lock_timeout");
  CHECK(sv.value == "2s");
  auto up = only<Dml>("UPDATE t SET a = 1");
  CHECK(up.kind == DmlKind::Update);
  CHECK_FALSE(up.has_where);
  CHECK(only<Dml>("INSERT INTO t SELECT * FROM s").from_select);
  auto d = only<CreateOther>("CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%')");
  CHECK(d.kind == "domain");
  CHECK(d.constrained);
  CHECK_FALSE(only<CreateOther>("CREATE DOMAIN label AS text").constrained);
  CHECK(only<OtherStatement>("SELECT 1").node == "SelectStmt");
}

TEST_CASE("DDL inside DO blocks is lowered too") {
  auto l = lower_all("DO $$ BEGIN ALTER TABLE users DROP COLUMN legacy; END $$;");
  REQUIRE(l.stmts.size() == 1);
  REQUIRE(l.stmts[0].changes.size() == 1);
  CHECK(l.stmts[0].changes[0].is<DropColumn>());
  CHECK(l.stmts[0].changes[0].from_do_block);
}

TEST_CASE("a statement that does not parse lowers to nothing, the next one still lowers") {
  auto l = lower_all("ALTER TABLE users ADD COLUMN;\nALTER TABLE users DROP COLUMN a;");
  REQUIRE(l.stmts.size() == 2);
  CHECK(l.stmts[0].changes.empty());
  REQUIRE(l.stmts[1].changes.size() == 1);
  CHECK(l.stmts[1].changes[0].is<DropColumn>());
}

}  // namespace unit_lower_test
