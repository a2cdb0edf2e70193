// `pgstage plan` as a user runs it: exit codes, messages, --out files and the plan.json checksum.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "planner/planner.h"

namespace fs = std::filesystem;

namespace {
struct Run {
  int code = -1;
  std::string out;
};
Run run(const std::string& args) {
  Run r;
  std::string cmd = std::string(PGSTAGE_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}
std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
const std::string kSamples = std::string(PGSTAGE_SOURCE_DIR) + "/samples/plan/";
}  // namespace

TEST_CASE("pgstage plan writes one SQL file per phase and plan.json with the source checksum") {
  fs::path out = fs::temp_directory_path() / ("pgstage-plan-cli-" + std::to_string(getpid()));
  fs::remove_all(out);
  Run r = run("plan " + kSamples + "002_rename_column.sql --out " + out.string());
  CHECK(r.code == 0);
  CHECK(r.out.find("== expand ==") != std::string::npos);
  CHECK(r.out.find("releases running: new (N) only") != std::string::npos);
  for (auto f : {"1-expand.sql", "2-backfill.sql", "3-contract.sql", "plan.json"}) CHECK(fs::exists(out / f));
  CHECK(slurp(out / "3-contract.sql").find("DROP COLUMN IF EXISTS \"name\"") != std::string::npos);
  pgstage::planner::Plan p;
  std::string err;
  REQUIRE_MESSAGE(pgstage::planner::from_json(slurp(out / "plan.json"), p, err), err);
  FILE* s = popen(("sha256sum " + kSamples + "002_rename_column.sql").c_str(), "r");
  REQUIRE(s);
  char hex[65] = {};
  REQUIRE(fread(hex, 1, 64, s) == 64);
  pclose(s);
  CHECK(p.source_checksum == std::string("sha256:") + hex);
  CHECK(p.steps.size() > 3);
  fs::remove_all(out);
}

TEST_CASE("pgstage plan asks for -- pgstage:fill with file:line:column and exits 1") {
  fs::path dir = fs::temp_directory_path() / ("pgstage-plan-fill-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "001_init.sql") << "CREATE TABLE t (id int PRIMARY KEY);\n";
  std::ofstream(dir / "002_req.sql") << "\nALTER TABLE t ADD COLUMN c int NOT NULL;\n";
  Run r = run("plan " + (dir / "002_req.sql").string());
  CHECK(r.code == 1);
  CHECK(r.out.find("002_req.sql:2:") != std::string::npos);
  CHECK(r.out.find("-- pgstage:fill <expression>") != std::string::npos);
  std::ofstream(dir / "002_req.sql") << "-- pgstage:fill 0\nALTER TABLE t ADD COLUMN c int NOT NULL;\n";
  r = run("plan --format json " + (dir / "002_req.sql").string());
  CHECK(r.code == 0);
  CHECK(r.out.find("\"set_sql\": \"\\\"c\\\" = (0)\"") != std::string::npos);
  CHECK(run("plan " + (dir / "missing.sql").string()).code == 2);
  fs::remove_all(dir);
}
