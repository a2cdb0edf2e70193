// `pgstage plan` as a user runs it: exit codes, messages, --out files and the plan.json checksum.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "planner/planner.h"
#include "tests/support/cli_run.h"

namespace unit_plan_cli_test {

namespace fs = std::filesystem;

namespace {
// pgstage with stderr and stdout together in `out`.
pgstage::proc::Result run(const std::vector<std::string>& args) {
  return pgstage::test::run_pgstage(args, {.merge_stderr = true});
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
  auto r = run({"plan", kSamples + "002_rename_column.sql", "--out", out.string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("== expand ==") != std::string::npos);
  CHECK(r.out.find("releases running: new (N) only") != std::string::npos);
  for (auto f : {"1-expand.sql", "2-backfill.sql", "3-contract.sql", "plan.json"}) CHECK(fs::exists(out / f));
  CHECK(slurp(out / "3-contract.sql").find("RENAME COLUMN \"name\" TO \"full_name\"") != std::string::npos);
  pgstage::planner::Plan p;
  std::string err;
  REQUIRE_MESSAGE(pgstage::planner::from_json(slurp(out / "plan.json"), p, err), err);
  auto sum = pgstage::test::run_program({"sha256sum", kSamples + "002_rename_column.sql"});
  REQUIRE(sum.out.size() >= 64);
  CHECK(p.source_checksum == "sha256:" + sum.out.substr(0, 64));
  CHECK(p.steps.size() > 3);
  fs::remove_all(out);
}

TEST_CASE("pgstage plan asks for -- pgstage:fill with file:line:column and exits 1") {
  fs::path dir = fs::temp_directory_path() / ("pgstage-plan-fill-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "001_init.sql") << "CREATE TABLE t (id int PRIMARY KEY);\n";
  std::ofstream(dir / "002_req.sql") << "\nALTER TABLE t ADD COLUMN c int NOT NULL;\n";
  auto r = run({"plan", (dir / "002_req.sql").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("002_req.sql:2:") != std::string::npos);
  CHECK(r.out.find("-- pgstage:fill <expression>") != std::string::npos);
  std::ofstream(dir / "002_req.sql") << "-- pgstage:fill 0\nALTER TABLE t ADD COLUMN c int NOT NULL;\n";
  r = run({"plan", "--format", "json", (dir / "002_req.sql").string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"set_sql\": \"\\\"c\\\" = (0)\"") != std::string::npos);
  CHECK(run({"plan", (dir / "missing.sql").string()}).exit_code == 2);
  fs::remove_all(dir);
}

TEST_CASE("pgstage plan --history supplies the schema; without it a rename cannot be planned") {
  fs::path dir = fs::temp_directory_path() / ("pgstage-plan-hist-" + std::to_string(getpid()));
  fs::create_directories(dir / "m");
  std::ofstream(dir / "schema.sql") << "CREATE TABLE t (id int PRIMARY KEY, a text);\n";
  std::ofstream(dir / "m" / "0002_rename.sql") << "ALTER TABLE t RENAME COLUMN a TO b;\n";
  auto without = run({"plan", (dir / "m" / "0002_rename.sql").string()});
  CHECK(without.exit_code == 1);
  CHECK(without.out.find("0002_rename.sql:1:") != std::string::npos);
  CHECK(without.out.find("--history") != std::string::npos);
  auto with = run({"plan", "--history", (dir / "schema.sql").string(), (dir / "m" / "0002_rename.sql").string()});
  CHECK(with.exit_code == 0);
  CHECK(with.out.find("ADD COLUMN IF NOT EXISTS \"b\" text") != std::string::npos);
  fs::remove_all(dir);
}

}  // namespace unit_plan_cli_test
