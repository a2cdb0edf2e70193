// The generated built-in volatility table (scripts/gen-volatility.sh) against pg_proc of the
// test cluster.
#include <doctest/doctest.h>

#include <pqxx/pqxx>

#include "analyzer/volatility.h"
#include "tests/support/pg_cluster.h"

TEST_CASE("builtin volatility matches pg_proc.provolatile of the test cluster") {
  auto& pg = pgstage::test::PgCluster::shared();
  REQUIRE(pg.ok());
  pqxx::connection c(pg.url());
  pqxx::work tx(c);
  auto rows = tx.exec(
      "SELECT proname, CASE WHEN bool_or(provolatile = 'v') THEN 'v' WHEN bool_or(provolatile = 's') THEN 's' "
      "ELSE 'i' END FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace GROUP BY proname");
  REQUIRE(rows.size() > 2000);
  CHECK(pgstage::builtin_function_count() == rows.size());
  int wrong = 0;
  for (const auto& r : rows) {
    std::string name = r[0].as<std::string>();
    char want = r[1].as<std::string>()[0];
    auto got = pgstage::builtin_volatility(name);
    char g = !got ? '?' : *got == pgstage::Volatility::Immutable ? 'i' : *got == pgstage::Volatility::Stable ? 's' : 'v';
    if (g != want) {
      ++wrong;
      INFO(name << ": table says " << g << ", pg_proc says " << want);
      CHECK(g == want);
    }
  }
  CHECK(wrong == 0);
  // The facts the rules depend on.
  CHECK(pgstage::builtin_volatility("now") == pgstage::Volatility::Stable);
  CHECK(pgstage::builtin_volatility("random") == pgstage::Volatility::Volatile);
  CHECK(pgstage::builtin_volatility("gen_random_uuid") == pgstage::Volatility::Volatile);
}
