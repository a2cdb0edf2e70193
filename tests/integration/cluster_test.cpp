#include <doctest/doctest.h>

#include <pqxx/pqxx>

#include "tests/support/pg_cluster.h"

namespace integration_cluster_test {

TEST_CASE("the test cluster serves a fresh database") {
  auto& pg = pgstage::test::PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("smoke");
  pqxx::connection c(url);
  pqxx::work tx(c);
  CHECK(tx.exec1("SELECT current_setting('server_version_num')::int / 10000")[0].as<int>() == 15);
  CHECK(tx.exec1("SELECT current_setting('fsync')")[0].as<std::string>() == "off");
}

}  // namespace integration_cluster_test
