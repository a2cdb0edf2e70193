// pgstage.toml: loading, validation errors that name file/line/key, discovery, and flags overriding it.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "cli/command_options.h"
#include "cli/config.h"
#include "tests/support/cli_run.h"
#include "tests/support/lint_helpers.h"

namespace unit_config_test {

using namespace pgstage;
using namespace pgstage::cli;
using test::run_pgstage;
using test::TempDir;

namespace {

std::string parse_error(const std::string& text) {
  Config c;
  std::string err;
  bool ok = parse_config(text, "pgstage.toml", c, err);
  CHECK_MESSAGE(!ok, "expected an error for:\n" << text);
  return err;
}

}  // namespace

TEST_CASE("a full lint configuration loads") {
  Config c;
  std::string err;
  std::string text = R"(pg_version = 14
fail_on = "warning"
disable = ["syntax-error"]
transaction = "per-file"
runner = "pgstage"
migrations = "db/migrations"
layout = "golang-migrate"
exclude = ["*_seed.sql", "archive/**"]
large_tables = ["events", "public.orders"]
large_table_rows = 5e5

[rules]
adding-required-column = "warning"
)";
  REQUIRE_MESSAGE(parse_config(text, "conf/pgstage.toml", c, err), err);
  CHECK(c.path == "conf/pgstage.toml");
  CHECK(c.dir == "conf");
  CHECK(c.lint.pg_version == 14);
  CHECK(c.lint.fail_on == Severity::Warning);
  CHECK(c.lint.disable == std::vector<std::string>{"syntax-error"});
  CHECK(c.lint.transaction == "per-file");
  CHECK(c.lint.runner == "pgstage");
  CHECK(c.lint.migrations == "conf/db/migrations");  // relative to the file's directory
  CHECK(c.lint.layout == "golang-migrate");
  REQUIRE(c.lint.exclude);
  CHECK(c.lint.exclude->size() == 2);
  CHECK(c.lint.large_tables == std::vector<std::string>{"events", "public.orders"});
  CHECK(c.lint.large_table_rows == doctest::Approx(5e5));
  CHECK(c.lint.severity.at("adding-required-column") == Severity::Warning);
}

TEST_CASE("an empty file is a valid configuration") {
  Config c;
  std::string err;
  CHECK(parse_config("", "pgstage.toml", c, err));
  CHECK(!c.lint.pg_version);
  CHECK(c.lint.disable.empty());
}

TEST_CASE("[rules] off and on map to disable and enable") {
  Config c;
  std::string err;
  REQUIRE(parse_config("[rules]\nadding-required-column = \"off\"\nsyntax-error = \"on\"\n", "p.toml", c, err));
  CHECK(c.lint.disable == std::vector<std::string>{"adding-required-column"});
  CHECK(c.lint.enable == std::vector<std::string>{"syntax-error"});
}

TEST_CASE("errors name the file, the line and the key") {
  CHECK(parse_error("pg_version = 15\nfrobnicate = 1\n")
            .rfind("pgstage.toml:2:1: unknown key `frobnicate` at the top level (known: pg_version, timezone, fail_on,",
                   0) == 0);
  CHECK(parse_error("disable = [\"renaming-colum\"]\n") ==
        "pgstage.toml:1:12: unknown rule `renaming-colum` in `disable` (see `pgstage rules`)");
  CHECK(parse_error("enable = \"syntax-error\"\n").find("pgstage.toml:1:10: `enable` must be an array of strings") ==
        0);
  CHECK(parse_error("\n[rules]\nno-such-rule = \"warning\"\n") ==
        "pgstage.toml:3:1: unknown rule `no-such-rule` in [rules] (see `pgstage rules`)");
  CHECK(parse_error("[rules]\nsyntax-error = \"loud\"\n").find("pgstage.toml:2:16: [rules] syntax-error must be") == 0);
  CHECK(parse_error("[rules]\nsyntax-error = 3\n").find("pgstage.toml:2:16:") == 0);
  CHECK(parse_error("pg_version = 99\n").find("pgstage.toml:1:14: `pg_version` must be an integer from 9 to 18") == 0);
  CHECK(parse_error("pg_version = \"15\"\n").find("`pg_version` must be an integer") != std::string::npos);
  CHECK(parse_error("fail_on = \"fatal\"\n").find("pgstage.toml:1:11: `fail_on` must be") == 0);
  CHECK(parse_error("transaction = \"sometimes\"\n").find("pgstage.toml:1:15: `transaction` must be one of") == 0);
  CHECK(parse_error("runner = 1\n").find("`runner` must be a string") != std::string::npos);
  CHECK(parse_error("layout = \"rails\"\n").find("pgstage.toml:1:10: `layout` must be one of \"auto\", \"plain\"") ==
        0);
  CHECK(parse_error("exclude = [1]\n").find("pgstage.toml:1:12: `exclude` must be an array of strings") == 0);
  CHECK(parse_error("large_table_rows = -1\n").find("`large_table_rows` must be a non-negative number") !=
        std::string::npos);
  CHECK(parse_error("[nonsense]\nx = 1\n").find("pgstage.toml:1:2: unknown key `nonsense`") == 0);
  CHECK(parse_error("deploy = 1\n") ==
        "pgstage.toml:1:10: `deploy` must be a table: write [deploy] followed by its keys");
  CHECK(parse_error("disable = [\"syntax-error\"]\n[rules]\nsyntax-error = \"on\"\n").find("both turned on and off") !=
        std::string::npos);
}

TEST_CASE("TOML syntax errors name the line and column") {
  std::string err = parse_error("pg_version = 15\nfail_on = \n");
  CHECK(err.rfind("pgstage.toml:2:", 0) == 0);
}

TEST_CASE("find_config walks up from a directory") {
  TempDir d;
  d.write("pgstage.toml", "pg_version = 13\n");
  d.write("a/b/c/.keep", "");
  auto found = find_config(d.path() + "/a/b/c");
  REQUIRE(found);
  CHECK(std::filesystem::equivalent(*found, d.path() + "/pgstage.toml"));
  d.write("a/pgstage.toml", "");
  found = find_config(d.path() + "/a/b");
  REQUIRE(found);
  CHECK(std::filesystem::equivalent(*found, d.path() + "/a/pgstage.toml"));
}

TEST_CASE("every section loads into the one Config; paths resolve against the file's directory") {
  Config c;
  std::string err;
  std::string text = R"(migrations = "db/migrations"
pg_version = 13
layout = "goose"
transaction = "none"
exclude = ["*_seed.sql"]

[lint]
fail_on = "warning"
history = ["db/legacy.sql"]
schema = "/abs/snapshot.json"
jobs = 2

[plan]
pg_version = 14
batch_size = 500
format = "json"
history = ["old"]
no_history = true

[apply]
database_url_env = "APP_DB"
wait_lock = 0
lock_timeout = "500ms"
lock_retries = 7
retry_base = 0.25
retry_cap = "1m"
statement_timeout = 120
long_statement_timeout = "90m"
batch_statement_timeout = "45s"
batch_size = 200
batch_pause = "100ms"
migrations_only = true

[trace]
temp_cluster = true
format = "json"
layout = "plain"

[snapshot]
database_url_env = "SNAP_DB"
output = "out/snap.json"

[deploy]
runtime = "process"
state_dir = "state"
haproxy_socket = "run/admin.sock"
verify_load = "http://127.0.0.1:8080/"

[services.web]
command = "exec ./app"
workdir = "app"
)";
  REQUIRE_MESSAGE(parse_config(text, "/srv/proj/pgstage.toml", c, err), err);
  CHECK(c.project.pg_version == 13);
  CHECK(!c.project.fail_on);  // [lint] keys are lint's alone
  CHECK(c.lint.fail_on == Severity::Warning);
  CHECK(c.lint.pg_version == 13);
  CHECK(c.lint.migrations == "/srv/proj/db/migrations");
  CHECK(c.lint.history == std::vector<std::string>{"/srv/proj/db/legacy.sql"});
  CHECK(c.lint.schema == "/abs/snapshot.json");
  CHECK(c.lint.jobs == 2);
  CHECK(c.plan.pg_version == 14);
  CHECK(c.plan.batch_size == 500);
  CHECK(c.plan.format == "json");
  CHECK(c.plan.history == std::vector<std::string>{"/srv/proj/old"});
  CHECK(c.plan.no_history == true);
  CHECK(c.apply.database_url_env == "APP_DB");
  CHECK(c.apply.wait_lock == 0.0);
  CHECK(c.apply.lock_timeout == doctest::Approx(0.5));
  CHECK(c.apply.lock_retries == 7);
  CHECK(c.apply.retry_base == doctest::Approx(0.25));
  CHECK(c.apply.retry_cap == doctest::Approx(60));
  CHECK(c.apply.statement_timeout == doctest::Approx(120));
  CHECK(c.apply.long_statement_timeout == doctest::Approx(5400));
  CHECK(c.apply.batch_statement_timeout == doctest::Approx(45));
  CHECK(c.apply.batch_size == 200);
  CHECK(c.apply.batch_pause == doctest::Approx(0.1));
  CHECK(c.apply.migrations_only == true);
  CHECK(c.trace.temp_cluster == true);
  CHECK(c.trace.format == "json");
  CHECK(c.trace.layout == "plain");
  CHECK(c.snapshot.database_url_env == "SNAP_DB");
  CHECK(c.snapshot.output == "/srv/proj/out/snap.json");
  CHECK(c.deploy.runtime == deploy::RuntimeKind::Process);
  CHECK(c.deploy.state_dir == "/srv/proj/state");
  CHECK(c.deploy.haproxy_socket == "/srv/proj/run/admin.sock");
  CHECK(c.verify_load == "http://127.0.0.1:8080/");
  REQUIRE(c.deploy.services.size() == 1);
  CHECK(c.deploy.services[0].workdir == "/srv/proj/app");
}

TEST_CASE("a service's command runs in the config file's directory unless workdir says otherwise") {
  Config c;
  std::string err;
  REQUIRE_MESSAGE(parse_config("[deploy]\nruntime = \"process\"\n[services.w]\ncommand = \"x\"\nproxied = false\n",
                               "/srv/proj/pgstage.toml", c, err),
                  err);
  REQUIRE(c.deploy.services.size() == 1);
  CHECK(c.deploy.services[0].workdir == "/srv/proj");
  CHECK(c.deploy.state_dir == "/srv/proj/.pgstage");
}

TEST_CASE("unknown keys in every section name file:line:column and the keys accepted") {
  struct Case {
    std::string text, expected;
  };
  for (const Case& k : std::vector<Case>{
           {"\n[lint]\nfail_om = 1\n",
            "pgstage.toml:3:1: unknown key `fail_om` in [lint] (known: pg_version, timezone, fail_on,"},
           {"[plan]\nbatchsize = 1\n",
            "pgstage.toml:2:1: unknown key `batchsize` in [plan] (known: pg_version, batch_size,"},
           {"[apply]\n  lock_timeot = 2\n",
            "pgstage.toml:2:3: unknown key `lock_timeot` in [apply] (known: database_url_env, wait_lock,"},
           {"[trace]\ncommit = true\n",
            "pgstage.toml:2:1: unknown key `commit` in [trace] (known: database_url_env, temp_cluster,"},
           {"[snapshot]\nout = \"x\"\n",
            "pgstage.toml:2:1: unknown key `out` in [snapshot] (known: database_url_env, output)"},
           {"[deploy]\nsocket = \"x\"\n",
            "pgstage.toml:2:1: unknown key `socket` in [deploy] (known: runtime, docker_socket,"},
           {"[services.web]\nimage = \"x\"\ncmd = \"y\"\n",
            "pgstage.toml:3:1: unknown key `cmd` in [services.web] (known: image, command,"},
           {"[lint.rules]\nno-such-rule = \"off\"\n", "pgstage.toml:2:1: unknown rule `no-such-rule` in [lint.rules]"},
           {"[deploy]\n[aply]\n", "pgstage.toml:2:2: unknown key `aply` at the top level (known: pg_version,"},
       }) {
    INFO(k.text);
    std::string err = parse_error(k.text);
    CHECK_MESSAGE(err.rfind(k.expected, 0) == 0, err);
  }
}

TEST_CASE("bad values in every section name file:line:column and what is accepted") {
  struct Case {
    std::string text, expected;
  };
  for (const Case& k : std::vector<Case>{
           {"[lint]\njobs = -1\n", "pgstage.toml:2:8: `lint.jobs` must be an integer from 0 to 1024"},
           {"[lint]\nformat = \"xml\"\n",
            "pgstage.toml:2:10: `lint.format` must be one of \"text\", \"json\", \"sarif\", \"github\", \"gitlab\", "
            "\"markdown\" (got \"xml\")"},
           {"[lint]\nno_history = \"yes\"\n", "pgstage.toml:2:14: `lint.no_history` must be true or false"},
           {"[plan]\nbatch_size = 0\n", "pgstage.toml:2:14: `plan.batch_size` must be an integer from 1 to 1000000"},
           {"[plan]\ntransaction = \"always\"\n",
            "pgstage.toml:2:15: `plan.transaction` must be one of \"auto\", \"per-file\", \"none\" (got \"always\")"},
           {"[plan]\nhistory = \"old\"\n", "pgstage.toml:2:11: `plan.history` must be an array of strings"},
           {"[apply]\nlock_timeout = 0\n", "pgstage.toml:2:16: `apply.lock_timeout` must be a positive duration"},
           {"[apply]\nlock_timeout = \"2h\"\n",
            "pgstage.toml:2:16: `apply.lock_timeout` must be a positive duration: seconds (e.g. 2 or 0.5) or a string "
            "like \"500ms\", \"30s\", \"2m\""},
           {"[apply]\nbatch_pause = -1\n", "pgstage.toml:2:15: `apply.batch_pause` must be a non-negative duration"},
           {"[apply]\nlock_retries = 101\n",
            "pgstage.toml:2:16: `apply.lock_retries` must be an integer from 0 to 100"},
           {"[apply]\nlock_retries = 1.5\n",
            "pgstage.toml:2:16: `apply.lock_retries` must be an integer from 0 to 100"},
           {"[apply]\npg_version = 8\n", "pgstage.toml:2:14: `apply.pg_version` must be an integer from 9 to 18"},
           {"[apply]\nlayout = \"rails\"\n", "pgstage.toml:2:10: `apply.layout` must be one of \"auto\", \"plain\""},
           {"[apply]\ndatabase_url_env = \"postgres://u:pw@h/db\"\n",
            "pgstage.toml:2:20: `apply.database_url_env` must be the name of an environment variable"},
           {"[trace]\ntemp_cluster = 1\n", "pgstage.toml:2:16: `trace.temp_cluster` must be true or false"},
           {"[trace]\nformat = \"sarif\"\n",
            "pgstage.toml:2:10: `trace.format` must be one of \"text\", \"json\" (got \"sarif\")"},
           {"[snapshot]\noutput = \"\"\n", "pgstage.toml:2:10: `snapshot.output` must not be empty"},
           {"[deploy]\nnetwork = \"overlay\"\n",
            "pgstage.toml:2:11: `deploy.network` must be one of \"host\", \"bridge\" (got \"overlay\")"},
           {"[services.web]\nimage = \"x\"\nport = 70000\n",
            "pgstage.toml:3:8: `services.web.port` must be an integer from 1 to 65535"},
           {"[services.web]\nimage = \"x\"\nenv = { A = 1 }\n",
            "pgstage.toml:3:13: `services.web.env.A` must be a string"},
           {"plan = 3\n", "pgstage.toml:1:8: `plan` must be a table: write [plan] followed by its keys"},
       }) {
    INFO(k.text);
    std::string err = parse_error(k.text);
    CHECK_MESSAGE(err.rfind(k.expected, 0) == 0, err);
  }
}

TEST_CASE("every key the loader knows is read and type-checked") {
  // A table is the wrong type for every key (env and [rules] reject its non-string, unknown entry).
  for (auto& [section, keys] : config_keys()) {
    for (auto& key : keys) {
      std::string header = section.empty()           ? ""
                           : section == "services.*" ? "[services.web]\nimage = \"x\"\n"
                                                     : "[" + section + "]\n";
      std::string text = header + key + " = { bogus = 1 }\n";
      INFO(text);
      std::string err = parse_error(text);
      CHECK(err.find("unknown key") == std::string::npos);
      CHECK(err.rfind("pgstage.toml:", 0) == 0);
    }
  }
}

TEST_CASE("a database URL is never read from the file") {
  for (std::string section : {"", "[apply]\n", "[trace]\n", "[snapshot]\n", "[deploy]\n"}) {
    std::string err = parse_error(section + "database_url = \"postgres://app:hunter2@db/app\"\n");
    CHECK(err.find("is not read from pgstage.toml (keep passwords out of files): set `database_url_env`") !=
          std::string::npos);
    CHECK(err.find("hunter2") == std::string::npos);
  }
}

TEST_CASE("a lint key at the top level and in [lint] is an error naming both") {
  std::string err = parse_error("fail_on = \"hint\"\n[lint]\nfail_on = \"error\"\n");
  CHECK(err == "pgstage.toml:3:1: `fail_on` is set both at the top level (line 1) and in [lint]; keep one");
}

TEST_CASE("samples/pgstage.toml documents every key the loader knows, and loads") {
  std::string path = std::string(PGSTAGE_SOURCE_DIR) + "/samples/pgstage.toml";
  Config c;
  std::string err;
  REQUIRE_MESSAGE(load_config(path, c, err), err);
  CHECK(c.lint.migrations == std::string(PGSTAGE_SOURCE_DIR) + "/samples/migrations");
  CHECK(c.deploy.services.size() == 2);

  // (section, key) of every line "key = ..." or "# key = ...", under the [header] (or "# [header]")
  // above it; every [services.NAME] counts as "services.*".
  std::ifstream in(path);
  std::set<std::pair<std::string, std::string>> documented;
  std::string line, section;
  static const std::regex header(R"(^#?\s*\[([A-Za-z0-9_.*-]+)\]\s*(#.*)?$)");
  static const std::regex key(R"(^#?\s*([a-z_]+)\s*=)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, header)) {
      section = m[1].str();
      documented.insert({"", section});  // a table key of the top level ([rules])
      if (section.rfind("services.", 0) == 0) section = "services.*";
    } else if (std::regex_search(line, m, key)) {
      documented.insert({section, m[1].str()});
    }
  }
  CHECK(documented.count({"lint", "fail_on"}) == 0);  // [lint] is documented as mirroring the top level
  // Not a structured binding: clang 14 (the sanitizer tree) cannot capture one in CHECK_MESSAGE's lambda.
  for (auto& entry : config_keys()) {
    const auto& sec = entry.first;
    if (sec == "lint") continue;
    for (auto& k : entry.second)
      CHECK_MESSAGE(documented.count({sec, k}),
                    "samples/pgstage.toml does not document " << (sec.empty() ? "" : "[" + sec + "] ") << k);
  }
  std::ifstream again(path);
  std::string text((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  CHECK(text.find("# [lint]") != std::string::npos);
}

TEST_CASE("load_project_config: --config names the file, otherwise the nearest one walking up") {
  TempDir d;
  d.write("pgstage.toml", "pg_version = 13\n");
  d.write("other.toml", "pg_version = 12\n");
  d.write("a/b/.keep", "");
  auto old = std::filesystem::current_path();
  std::filesystem::current_path(d.path() + "/a/b");
  Config c;
  std::string err;
  CHECK_MESSAGE(load_project_config(ConfigFlags{}, c, err), err);
  CHECK(c.lint.pg_version == 13);
  CHECK(std::filesystem::equivalent(c.path, d.path() + "/pgstage.toml"));
  CHECK(load_project_config(ConfigFlags{d.path() + "/other.toml", false}, c, err));
  CHECK(c.lint.pg_version == 12);
  CHECK(load_project_config(ConfigFlags{"", true}, c, err));
  CHECK(!c.lint.pg_version);
  CHECK(c.path.empty());
  CHECK_FALSE(load_project_config(ConfigFlags{"missing.toml", false}, c, err));
  CHECK(err == "missing.toml: config file not found");
  std::filesystem::current_path(old);
}

TEST_CASE("every command reads pgstage.toml: a bad key in its section exits 2 naming file:line:column") {
  TempDir d;
  d.write("db/001.sql", "CREATE TABLE t (id int);\n");
  d.write("sub/.keep", "");
  struct Case {
    std::vector<std::string> args;
    std::string toml, expected;
  };
  for (const Case& k : std::vector<Case>{
           {{"lint", "../db"}, "[lint]\nfail_on = \"fatal\"\n", "pgstage.toml:2:11: `lint.fail_on` must be one of"},
           {{"plan", "../db/001.sql"}, "[plan]\nbatch_size = 0\n", "pgstage.toml:2:14: `plan.batch_size` must be"},
           {{"apply", "../db", "--release", "v1"},
            "[apply]\nlock_timeout = \"soon\"\n",
            "pgstage.toml:2:16: `apply.lock_timeout` must be"},
           {{"status"}, "[apply]\nlock_retries = -1\n", "pgstage.toml:2:16: `apply.lock_retries` must be"},
           {{"mark-deployed", "v1"}, "[apply]\nbogus = 1\n", "pgstage.toml:2:1: unknown key `bogus` in [apply]"},
           {{"trace", "../db"}, "[trace]\ncommit = true\n", "pgstage.toml:2:1: unknown key `commit` in [trace]"},
           {{"snapshot"}, "[snapshot]\noutput = 1\n", "pgstage.toml:2:10: `snapshot.output` must be a string"},
           {{"deploy", "--release", "v1"},
            "[services.web]\nimage = \"x\"\nport = 0\n",
            "pgstage.toml:3:8: `services.web.port` must be"},
       }) {
    INFO(k.args[0]);
    d.write("pgstage.toml", k.toml);
    auto r = run_pgstage(k.args, d.path() + "/sub");
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(r.err.find("pgstage " + k.args[0] + ": ../" + k.expected) != std::string::npos, r.err);
  }
}

TEST_CASE("plan reads [plan]; a flag wins over it") {
  TempDir d;
  d.write("db/001.sql", "CREATE TABLE t (id int);\n");
  d.write("db/002.sql", "ALTER TABLE t ADD COLUMN c int;\n");
  d.write("pgstage.toml", "[plan]\nformat = \"json\"\n");
  auto r = run_pgstage({"plan", "db/002.sql"}, d.path());
  CHECK(r.exit_code != 2);
  REQUIRE_MESSAGE(nlohmann::json::accept(r.out), r.out);
  CHECK(nlohmann::json::parse(r.out).contains("version"));
  r = run_pgstage({"plan", "db/002.sql", "--format", "text"}, d.path());
  CHECK(r.exit_code != 2);
  CHECK(!r.out.empty());
  CHECK_FALSE(nlohmann::json::accept(r.out));
}

namespace {

const char* kHistory = "CREATE TABLE users (id bigint PRIMARY KEY);\n";
// With a lock_timeout, adding-required-column is the only finding (so severities decide the exit code).
const char* kUnsafe = "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN email text NOT NULL;\n";

}  // namespace

TEST_CASE("lint reads pgstage.toml from a parent directory; flags override it") {
  TempDir d;
  d.write("db/migrations/001_users.sql", kHistory);
  d.write("db/migrations/002_email.sql", kUnsafe);
  d.write("db/sub/.keep", "");

  SUBCASE("no config: the error fails the run") {
    auto r = run_pgstage({"lint", "--no-config", "db/migrations"}, d.path());
    CHECK(r.exit_code == 1);
  }
  SUBCASE("migrations from the config, resolved against its directory") {
    d.write("pgstage.toml", "migrations = \"db/migrations\"\n");
    auto r = run_pgstage({"lint", "--format", "json"}, d.path() + "/db/sub");
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("adding-required-column") != std::string::npos);
    CHECK(nlohmann::json::parse(r.out)["summary"]["findings"] == 1);
  }
  SUBCASE("disabled in the config; --enable on the command line wins") {
    d.write("pgstage.toml", "migrations = \"db/migrations\"\ndisable = [\"adding-required-column\"]\n");
    CHECK(run_pgstage({"lint"}, d.path()).exit_code == 0);
    CHECK(run_pgstage({"lint", "--enable", "adding-required-column"}, d.path()).exit_code == 1);
    CHECK(run_pgstage({"lint", "--no-config", "db/migrations"}, d.path()).exit_code == 1);
  }
  SUBCASE("a severity override in [rules], and --fail-on over fail_on") {
    d.write("pgstage.toml",
            "migrations = \"db/migrations\"\nfail_on = \"error\"\n[rules]\nadding-required-column = \"warning\"\n");
    auto r = run_pgstage({"lint", "--format", "json"}, d.path());
    CHECK(r.exit_code == 0);
    auto doc = nlohmann::json::parse(r.out);
    REQUIRE(doc["findings"].size() == 1);
    CHECK(doc["findings"][0]["severity"] == "warning");
    CHECK(run_pgstage({"lint", "--fail-on", "warning"}, d.path()).exit_code == 1);
  }
  SUBCASE("fail_on from the config") {
    d.write("pgstage.toml",
            "migrations = \"db/migrations\"\nfail_on = \"hint\"\n[rules]\nadding-required-column = \"hint\"\n");
    CHECK(run_pgstage({"lint"}, d.path()).exit_code == 1);
    CHECK(run_pgstage({"lint", "--fail-on", "error"}, d.path()).exit_code == 0);
  }
  SUBCASE("large_tables raises a warning to an error") {
    d.write(
        "pgstage.toml",
        "migrations = \"db/migrations\"\nlarge_tables = [\"users\"]\n[rules]\nadding-required-column = \"warning\"\n");
    auto r = run_pgstage({"lint"}, d.path());
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("large table") != std::string::npos);
  }
  SUBCASE("--config names another file") {
    d.write("ci.toml", "disable = [\"adding-required-column\"]\n");
    CHECK(run_pgstage({"lint", "--config", "ci.toml", "db/migrations"}, d.path()).exit_code == 0);
    auto r = run_pgstage({"lint", "--config", "missing.toml", "db/migrations"}, d.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("missing.toml: config file not found") != std::string::npos);
  }
  SUBCASE("a bad config exits 2 naming file, line and key") {
    d.write("pgstage.toml", "\nfail_om = \"hint\"\n");
    auto r = run_pgstage({"lint", "db/migrations"}, d.path() + "/db/sub");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("pgstage.toml:2:1: unknown key `fail_om`") != std::string::npos);
  }
  SUBCASE("no paths and no migrations key is a usage error") {
    auto r = run_pgstage({"lint", "--no-config"}, d.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("no migrations given") != std::string::npos);
  }
}

TEST_CASE("large_tables matches plain and schema-qualified names") {
  for (std::string name : {"users", "public.users"}) {
    INFO(name);
    LintOptions o;
    o.large_tables.insert(name);
    o.severity["adding-required-column"] = Severity::Warning;
    auto r = test::lint_text(std::string(kHistory) + "-- pgstage:history-end\n" + kUnsafe, o);
    auto f = test::findings_of(r, "adding-required-column");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::Error);
    CHECK(f[0].message.find("large table") != std::string::npos);
  }
  LintOptions o;
  o.large_tables.insert("other.users");
  o.severity["adding-required-column"] = Severity::Warning;
  auto f = test::findings_of(test::lint_text(std::string(kHistory) + "-- pgstage:history-end\n" + kUnsafe, o),
                             "adding-required-column");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Warning);
}

}  // namespace unit_config_test
