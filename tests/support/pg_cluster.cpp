#include "tests/support/pg_cluster.h"

namespace pgstage::test {

PgCluster& PgCluster::shared() {
  static PgCluster c;
  return c;
}

}  // namespace pgstage::test
