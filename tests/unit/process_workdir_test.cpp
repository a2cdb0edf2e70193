// The process runtime runs a service's command in its workdir (by default the directory of
// pgstage.toml), so relative program paths in `command` resolve against the config file.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "deploy/process_runtime.h"
#include "tests/support/cli_run.h"

namespace unit_process_workdir_test {

using namespace pgstage::deploy;

TEST_CASE("process runtime: the command runs in the service's workdir") {
  pgstage::test::TempDir d;
  d.write("app/.keep", "");
  ProcessRuntime rt(d.path() + "/state", "127.0.0.1");
  InstanceSpec spec;
  spec.service = "w";
  spec.release = "v1";
  spec.command = "pwd > where.txt; exec sleep 30";
  spec.workdir = d.path() + "/app";
  Instance inst;
  std::string err;
  REQUIRE_MESSAGE(rt.start(spec, inst, err), err);
  std::string where;
  for (int i = 0; i < 100 && where.empty(); ++i) {  // at most 5s
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream f(d.path() + "/app/where.txt");
    std::getline(f, where);
  }
  CHECK(std::filesystem::equivalent(where, d.path() + "/app"));
  CHECK(rt.stop(inst, Millis(2000), err));
  CHECK(rt.remove(inst, err));

  spec.workdir = d.path() + "/missing";
  CHECK_FALSE(rt.start(spec, inst, err));
  CHECK(err == "workdir " + d.path() + "/missing of service w is not a directory");
}

}  // namespace unit_process_workdir_test
