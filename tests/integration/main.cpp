// Integration tests run against a private Postgres cluster. If it cannot start, every test fails
// with the reason: integration tests never skip silently.
#include <doctest/doctest.h>

#include <iostream>

#include "tests/support/pg_cluster.h"

int main(int argc, char** argv) {
  auto& pg = pgstage::test::PgCluster::shared();
  if (!pg.ok()) {
    std::cerr << "integration tests: cannot start the test Postgres cluster: " << pg.error() << "\n";
    return 1;
  }
  doctest::Context ctx(argc, argv);
  int rc = ctx.run();
  pg.stop();
  return rc;
}
