// Each command's options: defaults, then pgstage.toml (top level, then the command's section),
// then the flags given. File alone says X: X is used; file says X and the flag says Y: Y wins.
#include <doctest/doctest.h>

#include <cstdlib>

#include "cli/command_options.h"

namespace unit_command_options_test {

using namespace pgstage;
using namespace pgstage::cli;

namespace {

Config config(const std::string& text) {
  Config c;
  std::string err;
  bool ok = parse_config(text, "/proj/pgstage.toml", c, err);
  REQUIRE_MESSAGE(ok, err);
  return c;
}

// Sets an environment variable for one scope.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~EnvVar() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("lint: the file's settings, and flags over them") {
  Config c = config(R"(migrations = "db"
pg_version = 13
fail_on = "warning"
layout = "goose"
exclude = ["*_seed.sql"]
disable = ["adding-required-column"]
format = "json"
jobs = 2
schema = "snap.json"
no_history = true
)");
  LintFlags f;
  LintArgs a;
  std::string err;
  REQUIRE_MESSAGE(resolve_lint(f, c, a, err), err);
  CHECK(a.paths == std::vector<std::string>{"/proj/db"});
  CHECK(a.options.settings.pg_version == 13);
  CHECK(a.options.fail_on == Severity::Warning);
  CHECK(a.options.layout == Layout::Goose);
  CHECK(a.options.exclude == std::vector<std::string>{"*_seed.sql"});
  CHECK(a.options.disable.count("adding-required-column") == 1);
  CHECK(a.format == "json");
  CHECK(a.options.jobs == 2);
  CHECK(a.schema_file == "/proj/snap.json");
  CHECK(a.options.no_history);

  f.paths = {"other"};
  f.pg_version = 16;
  f.fail_on = "error";
  f.layout = "plain";
  f.exclude = {"*.down.sql"};
  f.enable = {"adding-required-column"};
  f.format = "sarif";
  f.jobs = 1;
  f.no_history = false;  // --no-history=false
  REQUIRE_MESSAGE(resolve_lint(f, c, a, err), err);
  CHECK(a.paths == std::vector<std::string>{"other"});
  CHECK(a.options.settings.pg_version == 16);
  CHECK(a.options.fail_on == Severity::Error);
  CHECK(a.options.layout == Layout::Plain);
  CHECK(a.options.exclude == std::vector<std::string>{"*_seed.sql", "*.down.sql"});  // added to the file's
  CHECK(a.options.disable.count("adding-required-column") == 0);
  CHECK(a.options.enable.count("adding-required-column") == 1);
  CHECK(a.format == "sarif");
  CHECK(a.options.jobs == 1);
  CHECK_FALSE(a.options.no_history);

  f.database_url = "postgres://db";  // a database on the command line replaces the file's snapshot
  REQUIRE(resolve_lint(f, c, a, err));
  CHECK(a.schema_file.empty());
  CHECK(a.database_url == "postgres://db");
}

TEST_CASE("lint: [lint] is read like the top level; defaults without a file") {
  LintArgs a;
  std::string err;
  LintFlags f;
  f.paths = {"x.sql"};
  REQUIRE(resolve_lint(
      f, config("[lint]\npg_version = 12\ncolor = \"never\"\n[lint.rules]\nsyntax-error = \"warning\"\n"), a, err));
  CHECK(a.options.settings.pg_version == 12);
  CHECK(a.color == "never");
  CHECK(a.options.severity.at("syntax-error") == Severity::Warning);
  REQUIRE(resolve_lint(f, Config{}, a, err));
  CHECK(a.options.settings.pg_version == 15);
  CHECK(a.options.fail_on == Severity::Error);
  CHECK(a.format == "text");
  f.paths.clear();
  CHECK_FALSE(resolve_lint(f, Config{}, a, err));
  CHECK(err.find("no migrations given") == 0);
}

TEST_CASE("plan: [plan], then the top level, then the default; flags win") {
  PlanFlags f;
  f.path = "m.sql";
  PlanArgs a;
  std::string err;
  REQUIRE(resolve_plan(f, Config{}, a, err));
  CHECK(a.pg_version == 15);
  CHECK(a.batch_size == 1000);
  CHECK(a.transaction == "auto");
  CHECK(a.format == "text");

  Config top = config("pg_version = 13\ntransaction = \"none\"\n");
  REQUIRE(resolve_plan(f, top, a, err));
  CHECK(a.pg_version == 13);
  CHECK(a.transaction == "none");

  Config c = config(
      "pg_version = 13\n[plan]\npg_version = 14\nbatch_size = 500\nformat = \"json\"\n"
      "transaction = \"per-file\"\nhistory = [\"old\"]\nno_history = true\n");
  REQUIRE(resolve_plan(f, c, a, err));
  CHECK(a.pg_version == 14);
  CHECK(a.batch_size == 500);
  CHECK(a.format == "json");
  CHECK(a.transaction == "per-file");
  CHECK(a.history == std::vector<std::string>{"/proj/old"});
  CHECK(a.no_history);

  f.pg_version = 16;
  f.batch_size = 50;
  f.format = "text";
  f.transaction = "auto";
  f.history = std::vector<std::string>{"h.sql"};
  f.no_history = false;
  REQUIRE(resolve_plan(f, c, a, err));
  CHECK(a.pg_version == 16);
  CHECK(a.batch_size == 50);
  CHECK(a.format == "text");
  CHECK(a.transaction == "auto");
  CHECK(a.history == std::vector<std::string>{"h.sql"});
  CHECK_FALSE(a.no_history);
}

TEST_CASE("plan: the schema before the file is a snapshot, a live database or the history, never two") {
  PlanFlags f;
  f.path = "m.sql";
  PlanArgs a;
  std::string err;
  Config c = config("[plan]\nschema = \"schema.json\"\n");
  REQUIRE(resolve_plan(f, c, a, err));
  CHECK(a.schema_file == "/proj/schema.json");
  // --schema-url replaces the file's snapshot.
  f.schema_url = "postgresql://app:pw@db/prod";
  REQUIRE(resolve_plan(f, c, a, err));
  CHECK(a.schema_file.empty());
  CHECK(a.schema_url == "postgresql://app:pw@db/prod");
  // Both on the command line: refused.
  f.schema_file = "s.json";
  CHECK_FALSE(resolve_plan(f, c, a, err));
  CHECK(err.find("give one of --schema FILE and --schema-url URL") == 0);
  // Either with a history: refused, saying which to drop.
  f.schema_file.reset();
  f.history = std::vector<std::string>{"h.sql"};
  CHECK_FALSE(resolve_plan(f, c, a, err));
  CHECK(err == "--schema-url is the schema before the file: it replaces the history, so drop --history (or [plan] "
               "history)");
}

TEST_CASE("apply: [apply] timeouts and retries; flags win; the URL comes from a named variable") {
  EnvVar app_db("PGSTAGE_TEST_APP_DB", "postgres://from-env/app");
  Config c = config(R"(migrations = "db"
pg_version = 13
layout = "goose"
exclude = ["*_seed.sql"]
[apply]
database_url_env = "PGSTAGE_TEST_APP_DB"
wait_lock = 5
lock_timeout = "500ms"
lock_retries = 9
retry_base = 0.1
retry_cap = "10s"
statement_timeout = "2m"
long_statement_timeout = 3600
batch_statement_timeout = "20s"
batch_size = 250
batch_pause = "50ms"
)");
  ApplyFlags f;
  f.release = "v2";
  ApplyArgs a;
  std::string err;
  REQUIRE_MESSAGE(resolve_apply(f, c, a, err), err);
  CHECK(a.dir == "/proj/db");
  CHECK(a.url == "postgres://from-env/app");
  CHECK(a.wait_lock == doctest::Approx(5));
  CHECK(a.lock_timeout == doctest::Approx(0.5));
  CHECK(a.lock_retries == 9);
  CHECK(a.retry_base == doctest::Approx(0.1));
  CHECK(a.retry_cap == doctest::Approx(10));
  CHECK(a.statement_timeout == doctest::Approx(120));
  CHECK(a.long_statement_timeout == doctest::Approx(3600));
  CHECK(a.batch_statement_timeout == doctest::Approx(20));
  CHECK(a.batch_size == 250);
  CHECK(a.batch_pause == doctest::Approx(0.05));
  CHECK(a.pg_version == 13);
  CHECK(a.layout == "goose");
  CHECK(a.exclude == std::vector<std::string>{"*_seed.sql"});
  CHECK_FALSE(a.swap);

  f.dir = "migrations";
  f.url = "postgres://flag/app";
  f.lock_timeout = 3;
  f.lock_retries = 0;
  f.batch_size = 10;
  f.pg_version = 16;
  f.exclude = std::vector<std::string>{};
  REQUIRE(resolve_apply(f, c, a, err));
  CHECK(a.dir == "migrations");
  CHECK(a.url == "postgres://flag/app");
  CHECK(a.lock_timeout == doctest::Approx(3));
  CHECK(a.lock_retries == 0);
  CHECK(a.batch_size == 10);
  CHECK(a.pg_version == 16);
  CHECK(a.exclude.empty());
  CHECK(a.retry_cap == doctest::Approx(10));  // not overridden: still the file's
}

TEST_CASE("apply: defaults, the missing URL error, and when containers are swapped") {
  EnvVar pg("PGSTAGE_DATABASE_URL", nullptr);
  EnvVar deploy_db("PGSTAGE_TEST_DEPLOY_DB", nullptr);
  ApplyFlags f;
  f.dir = "db";
  f.release = "v1";
  ApplyArgs a;
  std::string err;
  CHECK_FALSE(resolve_apply(f, Config{}, a, err));
  CHECK(err == "--database-url (or the environment variable PGSTAGE_DATABASE_URL) is required");
  f.url = "postgres://x";
  REQUIRE(resolve_apply(f, Config{}, a, err));
  CHECK(a.lock_timeout == doctest::Approx(2));
  CHECK(a.lock_retries == 5);
  CHECK(a.statement_timeout == doctest::Approx(300));
  CHECK(a.pg_version == 15);

  Config c = config(
      "[apply]\nmigrations_only = true\n[deploy]\nruntime = \"process\"\ndatabase_url_env = "
      "\"PGSTAGE_TEST_DEPLOY_DB\"\n"
      "[services.web]\ncommand = \"x\"\n");
  REQUIRE(resolve_apply(f, c, a, err));
  CHECK_FALSE(a.swap);        // migrations_only from the file
  f.migrations_only = false;  // --migrations-only=false
  REQUIRE(resolve_apply(f, c, a, err));
  CHECK(a.swap);
  CHECK(a.deploy.services.size() == 1);
  f.dry_run = true;
  REQUIRE(resolve_apply(f, c, a, err));
  CHECK_FALSE(a.swap);

  // Swapping, the URL may come from [deploy] database_url_env.
  f.dry_run = false;
  f.url.clear();
  EnvVar set("PGSTAGE_TEST_DEPLOY_DB", "postgres://deploy/app");
  REQUIRE_MESSAGE(resolve_apply(f, c, a, err), err);
  CHECK(a.url == "postgres://deploy/app");
}

TEST_CASE("mark-deployed and status: --database-url, else [apply] database_url_env") {
  EnvVar v("PGSTAGE_TEST_STATUS_DB", "postgres://status");
  std::string url, err;
  CHECK(resolve_database_url("", config("[apply]\ndatabase_url_env = \"PGSTAGE_TEST_STATUS_DB\"\n"), url, err));
  CHECK(url == "postgres://status");
  CHECK(resolve_database_url("postgres://flag", config("[apply]\ndatabase_url_env = \"PGSTAGE_TEST_STATUS_DB\"\n"), url,
                             err));
  CHECK(url == "postgres://flag");
  CHECK_FALSE(resolve_database_url("", config("[apply]\ndatabase_url_env = \"PGSTAGE_TEST_UNSET_DB\"\n"), url, err));
  CHECK(err == "--database-url (or the environment variable PGSTAGE_TEST_UNSET_DB) is required");
}

TEST_CASE("trace: [trace] names where to trace unless the command line does") {
  EnvVar v("PGSTAGE_TEST_TRACE_DB", "postgres://trace");
  TraceFlags f;
  TraceArgs a;
  std::string err;
  Config c = config(
      "migrations = \"db\"\npg_version = 13\n[trace]\ndatabase_url_env = \"PGSTAGE_TEST_TRACE_DB\"\n"
      "format = \"json\"\nlayout = \"plain\"\nno_history = true\n");
  REQUIRE_MESSAGE(resolve_trace(f, c, a, err), err);
  CHECK(a.paths == std::vector<std::string>{"/proj/db"});
  CHECK(a.database_url == "postgres://trace");
  CHECK_FALSE(a.temp_cluster);
  CHECK(a.format == "json");
  CHECK(a.layout == "plain");
  CHECK(a.pg_version == 13);
  CHECK(a.no_history);

  f.temp_cluster = true;
  f.format = "text";
  f.pg_version = 16;
  f.paths = {"m.sql"};
  REQUIRE(resolve_trace(f, c, a, err));
  CHECK(a.database_url.empty());  // --temp-cluster replaces the file's database
  CHECK(a.temp_cluster);
  CHECK(a.format == "text");
  CHECK(a.pg_version == 16);
  CHECK(a.paths == std::vector<std::string>{"m.sql"});

  TraceFlags none;
  REQUIRE(resolve_trace(none, config("migrations = \"db\"\n[trace]\ntemp_cluster = true\n"), a, err));
  CHECK(a.temp_cluster);
  CHECK_FALSE(resolve_trace(
      none, config("migrations = \"db\"\n[trace]\ndatabase_url_env = \"PGSTAGE_TEST_UNSET_DB\"\n"), a, err));
  CHECK(err.find("the environment variable PGSTAGE_TEST_UNSET_DB ([trace] database_url_env in /proj/pgstage.toml) is "
                 "not set") == 0);
  CHECK_FALSE(resolve_trace(
      none, config("migrations = \"db\"\n[trace]\ntemp_cluster = true\ndatabase_url_env = \"X\"\n"), a, err));
  CHECK(err.find("keep one") != std::string::npos);
  CHECK_FALSE(resolve_trace(none, config("migrations = \"db\"\n"), a, err));
  CHECK(err ==
        "give --database-url URL or --temp-cluster (or set [trace] database_url_env or temp_cluster in "
        "/proj/pgstage.toml)");
}

TEST_CASE("snapshot: [snapshot] output and database_url_env; flags win") {
  EnvVar v("PGSTAGE_TEST_SNAP_DB", "postgres://snap");
  Config c = config("[snapshot]\ndatabase_url_env = \"PGSTAGE_TEST_SNAP_DB\"\noutput = \"snap.json\"\n");
  SnapshotFlags f;
  SnapshotArgs a;
  std::string err;
  REQUIRE(resolve_snapshot(f, c, a, err));
  CHECK(a.database_url == "postgres://snap");
  CHECK(a.output == "/proj/snap.json");
  f.database_url = "postgres://flag";
  f.output = "-";
  REQUIRE(resolve_snapshot(f, c, a, err));
  CHECK(a.database_url == "postgres://flag");
  CHECK(a.output == "-");
  CHECK_FALSE(resolve_snapshot(SnapshotFlags{}, Config{}, a, err));
  CHECK(err == "--database-url is required (or set [snapshot] database_url_env)");
}

TEST_CASE("deploy: needs a pgstage.toml; --verify-load over [deploy] verify_load") {
  Config c =
      config("[deploy]\nruntime = \"process\"\nverify_load = \"http://file/\"\n[services.web]\ncommand = \"x\"\n");
  DeployFlags f;
  f.release = "v1";
  DeployRun run;
  std::string err;
  REQUIRE(resolve_deploy(f, c, run, err));
  CHECK(run.verify_load_url == "http://file/");
  CHECK(run.config.services.size() == 1);
  CHECK(run.config_path == "/proj/pgstage.toml");
  f.verify_load = "http://flag/";
  REQUIRE(resolve_deploy(f, c, run, err));
  CHECK(run.verify_load_url == "http://flag/");
  CHECK_FALSE(resolve_deploy(f, Config{}, run, err));
  CHECK(err == "no pgstage.toml in the working directory or above it (use --config PATH)");
}

TEST_CASE("boolean flags: --flag sets true, --flag=false undoes a true in the file, absent stays unset") {
  for (auto [args, expected] : std::vector<std::pair<std::vector<std::string>, std::optional<bool>>>{
           {{}, std::nullopt}, {{"--no-history"}, true}, {{"--no-history=false"}, false}}) {
    CLI::App app;
    std::optional<bool> value;
    add_bool_flag(app, "--no-history", value, "x");
    std::vector<std::string> argv(args.rbegin(), args.rend());
    app.parse(argv);
    CHECK(value == expected);
  }
}

}  // namespace unit_command_options_test
