#include <doctest/doctest.h>

#include "db/live_schema.h"

namespace unit_snapshot_test {

using namespace pgstage;

TEST_CASE("a schema snapshot round-trips through JSON") {
  Catalog c;
  CatalogTable t;
  t.name = QualifiedName{"", "users"};
  CatalogColumn id;
  id.name = "id";
  id.type.name = "int8";
  id.not_null = true;
  id.identity = true;
  CatalogColumn email;
  email.name = "email";
  email.type.name = "varchar";
  email.type.typmods = {50};
  email.default_expr = Expr{"'x'::character varying"};
  t.columns = {id, email};
  CatalogConstraint pk;
  pk.name = "users_pkey";
  pk.kind = ConstraintKind::PrimaryKey;
  pk.columns = {"id"};
  CatalogConstraint chk;
  chk.name = "users_email_check";
  chk.kind = ConstraintKind::Check;
  chk.check_sql = "(email IS NOT NULL)";
  chk.not_null_column = "email";
  chk.validated = false;
  t.constraints = {pk, chk};
  t.row_estimate = 2500000;
  t.total_bytes = 1e9;
  c.put_table(t);
  c.put_index(CatalogIndex{"users_pkey", QualifiedName{"", "users"}, {"id"}, true, true, false});
  c.put_object(CatalogObject{"type", QualifiedName{"app", "mood"}, {"happy", "sad"}, false});

  std::string text = db::catalog_to_json(c);
  Catalog back;
  std::string err;
  REQUIRE_MESSAGE(db::catalog_from_json(text, "schema.json", back, err), err);
  CHECK(db::catalog_to_json(back) == text);
  const CatalogTable* u = back.table(QualifiedName{"public", "users"});
  REQUIRE(u);
  CHECK(u->row_estimate == doctest::Approx(2500000));
  CHECK(u->column("email")->type.typmods == std::vector<int>{50});
  CHECK_FALSE(u->constraint("users_email_check")->validated);
  CHECK(back.index(QualifiedName{"", "users_pkey"})->unique);
  REQUIRE(back.object("type", QualifiedName{"app", "mood"}));
}

TEST_CASE("a bad snapshot is refused with a message naming the file") {
  Catalog c;
  std::string err;
  CHECK_FALSE(db::catalog_from_json("not json", "s.json", c, err));
  CHECK(err.find("s.json") == 0);
  CHECK_FALSE(db::catalog_from_json(R"({"kind":"pgstage-schema","version":99})", "s.json", c, err));
  CHECK(err.find("unsupported snapshot version 99") != std::string::npos);
  CHECK_FALSE(
      db::catalog_from_json(R"({"kind":"pgstage-schema","version":1,"tables":[{"columns":[{}]}]})", "s.json", c, err));
  CHECK(err.find("s.json: malformed") == 0);
}

}  // namespace unit_snapshot_test
