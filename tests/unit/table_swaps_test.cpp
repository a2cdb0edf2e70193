// Atomic table swaps (analyzer/table_swaps.h): the one definition the rules and the planner share.
#include <doctest/doctest.h>

#include <deque>

#include "analyzer/parse.h"
#include "analyzer/table_swaps.h"

namespace unit_table_swaps_test {

using namespace pgstage;

namespace {
std::vector<LoweredStatement> lower_all(const std::string& sql) {
  static std::deque<SourceFile> keep;  // stable addresses, in case a lowered statement points into its file
  keep.push_back(make_source("s.sql", sql, Layout::Plain));
  std::vector<LoweredStatement> out;
  for (auto& st : parse_source(keep.back()).statements) out.push_back(lower(st, keep.back()));
  return out;
}
const QualifiedName kT{"", "t"};
}  // namespace

TEST_CASE("a DROP TABLE is half of a swap when the name is taken again before the transaction ends") {
  auto l = lower_all("BEGIN;\nDROP TABLE t;\nSELECT 1;\nALTER TABLE t_new RENAME TO t;\nCOMMIT;\n");
  auto r = swap_replacement(l, 1, 0, true, kT);
  REQUIRE(r);
  CHECK(r->statement == 3);
  REQUIRE(r->renamed_from);
  CHECK(r->renamed_from->name == "t_new");
  CHECK(completes_swap(l, 3, 0, true, kT));

  // CREATE TABLE t takes the name too, with its columns.
  l = lower_all("BEGIN;\nDROP TABLE t;\nCREATE TABLE t (id int, v text);\nCOMMIT;\n");
  r = swap_replacement(l, 1, 0, true, kT);
  REQUIRE(r);
  CHECK(r->created_columns == std::vector<std::string>{"id", "v"});

  // A SAVEPOINT does not end the transaction; a COMMIT does; outside a transaction nothing pairs.
  l = lower_all("BEGIN;\nDROP TABLE t;\nSAVEPOINT a;\nALTER TABLE t2 RENAME TO t;\nCOMMIT;\n");
  CHECK(swap_replacement(l, 1, 0, true, kT));
  l = lower_all("BEGIN;\nDROP TABLE t;\nCOMMIT;\nALTER TABLE t2 RENAME TO t;\n");
  CHECK_FALSE(swap_replacement(l, 1, 0, true, kT));
  CHECK_FALSE(completes_swap(l, 3, 0, false, kT));
  l = lower_all("DROP TABLE t;\nALTER TABLE t2 RENAME TO t;\n");
  CHECK_FALSE(swap_replacement(l, 0, 0, false, kT));
  // A view taking the name is no table swap.
  l = lower_all("BEGIN;\nDROP TABLE t;\nALTER VIEW v RENAME TO t;\nCOMMIT;\n");
  CHECK_FALSE(swap_replacement(l, 1, 0, true, kT));
}

TEST_CASE("inside one DO block the swap pairs changes of the same statement") {
  auto l = lower_all("DO $$ BEGIN DROP TABLE t; ALTER TABLE t_new RENAME TO t; END $$;\n");
  REQUIRE(l.size() == 1);
  auto r = swap_replacement(l, 0, 0, false, kT);
  REQUIRE(r);
  CHECK(r->statement == 0);
  CHECK(completes_swap(l, 0, 1, false, kT));
}

}  // namespace unit_table_swaps_test
