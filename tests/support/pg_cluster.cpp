#include "tests/support/pg_cluster.h"

#include <doctest/doctest.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>

#include "analyzer/rule_api.h"

namespace pgstage::test {

PgCluster& PgCluster::shared() {
  static PgCluster c;
  return c;
}

std::string PgCluster::tablespace_sql(const std::string& name) {
  std::string dir = "/tmp/pgstage-" + name + "-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  if (geteuid() == 0)
    if (passwd* pw = getpwnam("postgres")) REQUIRE(chown(dir.c_str(), pw->pw_uid, pw->pw_gid) == 0);
  return "CREATE TABLESPACE " + quote_ident(name) + " LOCATION '" + dir + "'";
}

}  // namespace pgstage::test
