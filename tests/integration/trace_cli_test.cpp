// `pgstage trace`, `pgstage snapshot` and `pgstage lint --database-url/--schema` as a user runs them.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "analyzer/lint.h"
#include "db/live_schema.h"
#include "tests/support/cli_run.h"
#include "tests/support/pg_cluster.h"

namespace integration_trace_cli_test {

using namespace pgstage;
using json = nlohmann::json;

namespace {

// pgstage run from the source tree, so that samples/... paths resolve.
proc::Result run(const std::vector<std::string>& args) { return test::run_pgstage(args, PGSTAGE_SOURCE_DIR); }

void apply_files(const std::string& url, const std::vector<std::string>& files) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  for (auto& f : files) {
    std::ifstream in(std::string(PGSTAGE_SOURCE_DIR) + "/" + f);
    std::string sql((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // One statement at a time: CREATE INDEX CONCURRENTLY cannot run in a multi-statement string.
    for (size_t b = 0, e; b < sql.size(); b = e + 1) {
      e = sql.find(";\n", b);
      if (e == std::string::npos) e = sql.size();
      tx.exec(sql.substr(b, e - b));
    }
  }
}

std::string schema_json(const std::string& url) {
  Catalog c;
  std::string err;
  REQUIRE_MESSAGE(db::read_live_catalog(url, c, err), err);
  return db::catalog_to_json(c);
}

}  // namespace

TEST_CASE("trace --temp-cluster confirms the static facts of the bundled samples") {
  auto r = run({"trace", "samples/migrations/004_unsafe.sql", "--temp-cluster"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("mismatch:") == std::string::npos);
  CHECK(r.out.find("0 mismatch, 0 skipped, 0 failed") != std::string::npos);
  CHECK(r.out.find("7 statements: 7 confirmed") != std::string::npos);
}

TEST_CASE("trace of a whole directory traces CREATE INDEX CONCURRENTLY outside the transaction") {
  auto r = run({"trace", "samples/migrations", "--temp-cluster", "--format", "json"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  json doc = json::parse(r.out);
  CHECK(doc["summary"]["mismatch"] == 0);
  CHECK(doc["summary"]["failed"] == 0);
  int concurrent = 0;
  for (auto& s : doc["statements"]) {
    CHECK(s["status"] == "confirmed");
    if (s["sql"].get<std::string>().find("CONCURRENTLY") != std::string::npos) {
      ++concurrent;
      CHECK(s["traced"]["in_transaction"] == false);
      CHECK(s["traced"]["mode"] == "SHARE UPDATE EXCLUSIVE");
      CHECK(s["predicted"]["mode"] == "SHARE UPDATE EXCLUSIVE");
      bool new_index = false;
      for (auto& c : s["traced"]["catalog_changes"])
        if (c.get<std::string>().rfind("+ index CREATE INDEX", 0) == 0) new_index = true;
      CHECK(new_index);
    }
  }
  CHECK(concurrent == 2);
}

TEST_CASE("trace --database-url rolls back by default and --commit keeps the changes") {
  auto& pg = test::PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("trace_rb");
  apply_files(url, {"samples/migrations/001_create_users.sql"});
  std::string before = schema_json(url);

  auto r = run({"trace", "samples/migrations/002_safe_additions.sql", "samples/migrations/003_rename_name.sql",
                "samples/migrations/004_unsafe.sql", "--database-url", url, "--format", "json"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  json doc = json::parse(r.out);
  CHECK(doc["summary"]["committed"] == false);
  CHECK(doc["summary"]["mismatch"] == 0);
  // CREATE INDEX CONCURRENTLY cannot be rolled back, so it is not run against a real database.
  CHECK(doc["summary"]["skipped"] == 1);
  CHECK(doc["summary"]["confirmed"].get<int>() == 11);
  CHECK(schema_json(url) == before);

  auto c = run({"trace", "samples/migrations/003_rename_name.sql", "--database-url", url, "--commit"});
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK(c.out.find("committed") != std::string::npos);
  CHECK(schema_json(url).find("\"full_name\"") != std::string::npos);
}

TEST_CASE("trace reports a mismatch and exits 1 when Postgres disagrees") {
  auto& pg = test::PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("trace_mm");
  {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    tx.exec("CREATE TABLE t (id int)");
  }
  // Told the server is PostgreSQL 10, pgstage predicts that a constant default rewrites the table;
  // the PostgreSQL 15 test cluster does not rewrite it.
  std::string path = "/tmp/pgstage-mm-" + std::to_string(getpid()) + ".sql";
  std::ofstream(path) << "ALTER TABLE t ADD COLUMN a int DEFAULT 5;\n";
  auto r = run({"trace", path, "--pg-version", "10", "--database-url", url});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("mismatch: rewrite: predicted yes, Postgres rewrote nothing") != std::string::npos);
  CHECK(r.out.find("0 confirmed, 1 mismatch") != std::string::npos);
  auto same = run({"trace", path, "--database-url", url});
  CHECK(same.exit_code == 0);
  std::remove(path.c_str());
}

TEST_CASE("lint --database-url and lint --schema read the live schema as history") {
  auto& pg = test::PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("lint_live");
  apply_files(url, {"samples/migrations/001_create_users.sql", "samples/migrations/002_safe_additions.sql",
                    "samples/migrations/003_rename_name.sql"});
  {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    tx.exec("INSERT INTO users (full_name, email) SELECT 'u' || g, 'u' || g || '@x' FROM generate_series(1, 3000) g");
    tx.exec("ANALYZE users");
  }
  auto live = run({"lint", "samples/migrations/004_unsafe.sql", "--format", "json", "--database-url", url});
  INFO(live.out << live.err);
  CHECK(live.exit_code == 1);
  json doc = json::parse(live.out);
  bool required = false;
  for (auto& f : doc["findings"])
    if (f["rule"] == "adding-required-column") required = true;
  CHECK(required);

  std::string snap = "/tmp/pgstage-snap-" + std::to_string(getpid()) + ".json";
  auto s = run({"snapshot", "--database-url", url, "-o", snap});
  INFO(s.err);
  REQUIRE(s.exit_code == 0);
  std::ifstream f(snap);
  json sj = json::parse(std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>()));
  CHECK(sj["kind"] == "pgstage-schema");
  bool users_rows = false;
  for (auto& t : sj["tables"])
    if (t["name"] == "users") users_rows = t["rows"].get<double>() == 3000;
  CHECK(users_rows);
  auto fromfile = run({"lint", "samples/migrations/004_unsafe.sql", "--format", "json", "--schema", snap});
  CHECK(fromfile.exit_code == live.exit_code);
  CHECK(json::parse(fromfile.out)["findings"] == doc["findings"]);
  std::remove(snap.c_str());
}

TEST_CASE("a finding on a table over the row threshold is raised and names the size") {
  auto& pg = test::PgCluster::shared();
  REQUIRE(pg.ok());
  std::string url = pg.fresh_database("lint_size");
  {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    tx.exec(
        "CREATE TABLE big (id int); INSERT INTO big SELECT generate_series(1, 5000); ANALYZE big;"
        "CREATE TABLE small (id int)");
  }
  Catalog live;
  std::string err;
  REQUIRE_MESSAGE(db::read_live_catalog(url, live, err), err);
  static const Rule warn_on_add{.id = "test-add-column",
                                .category = Category::Locking,
                                .severity = Severity::Warning,
                                .check = [](const StatementContext& ctx, Reporter& rep) {
                                  for (auto& c : ctx.lowered.changes)
                                    if (c.is<AddColumn>()) rep.report("adds a column", "Do not.");
                                }};
  LintOptions opts;
  opts.base_catalog = &live;
  opts.large_table_rows = 1000;
  LintInput in;
  in.is_stdin = true;
  in.path = "m.sql";
  in.stdin_text = "ALTER TABLE big ADD COLUMN a int;\nALTER TABLE small ADD COLUMN a int;\n";
  LintResult r = run_lint({in}, {&warn_on_add}, opts);
  REQUIRE(r.findings.size() == 2);
  CHECK(r.findings[0].severity == Severity::Error);
  CHECK(r.findings[0].message.find("`big` is a large table: about 5.0K rows") != std::string::npos);
  CHECK(r.findings[1].severity == Severity::Warning);
  CHECK(r.findings[1].message == "adds a column");
}

TEST_CASE("the password in a database URL never appears in output or errors") {
  const std::string secret = "TopSecret42";
  std::string bad = "postgresql://postgres:" + secret + "@127.0.0.1:1/nowhere";
  for (std::vector<std::string> args :
       {std::vector<std::string>{"lint", "samples/migrations/004_unsafe.sql", "--database-url", bad},
        std::vector<std::string>{"snapshot", "--database-url", bad},
        std::vector<std::string>{"trace", "samples/migrations/004_unsafe.sql", "--database-url", bad}}) {
    auto r = run(args);
    INFO(proc::display(args) << "\n" << r.out << r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("postgresql://postgres:***@127.0.0.1:1/nowhere") != std::string::npos);
    CHECK(r.out.find(secret) == std::string::npos);
    CHECK(r.err.find(secret) == std::string::npos);
  }
  // A working URL with a password (trust auth ignores it): the output never echoes it.
  auto& pg = test::PgCluster::shared();
  std::string url = "postgresql://postgres:" + secret + "@127.0.0.1:" + std::to_string(pg.port()) + "/postgres";
  auto ok = run(
      {"trace", "samples/migrations/003_rename_name.sql", "--no-history", "--database-url", url, "--format", "json"});
  CHECK(ok.out.find(secret) == std::string::npos);
  CHECK(ok.err.find(secret) == std::string::npos);
}

}  // namespace integration_trace_cli_test
