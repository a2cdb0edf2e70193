// End-to-end tests: real dockerd (started by scripts/services.sh), HAProxy and Postgres (started
// by the tests). If a service is missing every test fails with the reason: nothing is skipped.
#include <doctest/doctest.h>

#include <cstdlib>
#include <iostream>

#include "deploy/http.h"
#include "tests/support/deploy_fixture.h"
#include "tests/support/pg_cluster.h"

int main(int argc, char** argv) {
  auto& pg = pgstage::test::PgCluster::shared();
  if (!pg.ok()) {
    std::cerr << "e2e tests: cannot start the test Postgres cluster: " << pg.error() << "\n";
    return 1;
  }
  const char* sock = std::getenv("PGSTAGE_DOCKER_SOCKET");
  std::string socket = sock ? sock : "/var/run/docker.sock";
  pgstage::deploy::HttpRequest ping{.url = "http://localhost/_ping", .unix_socket = socket};
  pgstage::deploy::HttpResponse resp;
  std::string err;
  if (!pgstage::deploy::http_request(ping, resp, err) || resp.status != 200) {
    std::cerr << "e2e tests: no Docker engine answers on " << socket << " ("
              << (err.empty() ? "HTTP " + std::to_string(resp.status) : err)
              << "); start dockerd (scripts/services.sh does) or set PGSTAGE_DOCKER_SOCKET\n";
    return 1;
  }
  std::vector<std::string> build = {std::string(PGSTAGE_SOURCE_DIR) + "/samples/app/build-image.sh", PGSTAGE_SAMPLE_APP,
                                    pgstage::test::kE2eImage};
  auto built = pgstage::test::run_program(build, {.merge_stderr = true, .timeout = std::chrono::minutes(20)});
  if (!built.ok()) {
    std::cerr << "e2e tests: building the sample app image failed: " << pgstage::proc::display(build) << "\n"
              << built.out << built.err << "\n";
    return 1;
  }
  doctest::Context ctx(argc, argv);
  int rc = ctx.run();
  pg.stop();
  return rc;
}
