#include "tests/support/deploy_fixture.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include <pqxx/pqxx>

#include "cli/config.h"
#include "deploy/http.h"
#include "tests/support/pg_cluster.h"

namespace pgstage::test {

const char* const kExpandRenameSql = R"sql(
ALTER TABLE users ADD COLUMN full_name text;
CREATE FUNCTION users_sync_full_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.full_name IS NULL THEN NEW.full_name := NEW.name; END IF;
  IF NEW.name IS NULL THEN NEW.name := NEW.full_name; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER users_sync_full_name BEFORE INSERT OR UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION users_sync_full_name();
UPDATE users SET full_name = name WHERE full_name IS NULL;
)sql";

const char* const kContractRenameSql = R"sql(
DROP TRIGGER users_sync_full_name ON users;
DROP FUNCTION users_sync_full_name();
ALTER TABLE users ALTER COLUMN full_name SET NOT NULL;
ALTER TABLE users DROP COLUMN name;
)sql";

namespace {
std::atomic<int> g_counter{0};

// A deadline the deploy must meet ("3s", "500ms"), stretched in sanitized builds: the sample app and
// pgstage run several times slower under ASan/UBSan, and scripts/test.sh runs those suites niced
// beside other suites. A test of a deploy that must fail takes longer there; none passes sooner.
std::string deadline(const std::string& d) {
#ifdef PGSTAGE_SANITIZERS
  constexpr long kSlowdown = 3;
  size_t digits = 0;
  long n = std::stol(d, &digits);
  return std::to_string(n * kSlowdown) + d.substr(digits);
#else
  return d;
#endif
}
}

namespace {
std::string& image_name() {
  static std::string name = kE2eImage;
  return name;
}
}  // namespace

const std::string& deployed_image() { return image_name(); }
DeployImageAs::DeployImageAs(std::string name) : before_(image_name()) { image_name() = std::move(name); }
DeployImageAs::~DeployImageAs() { image_name() = before_; }

DeployFixture::DeployFixture(FixtureOptions opt) : haproxy(opt.replicas) {
  if (opt.deploy_timeout.empty())
    opt.deploy_timeout = opt.runtime == "swarm" ? "90s" : opt.runtime == "docker" ? "60s" : "10s";
  auto& pg = PgCluster::shared();
  if (!pg.ok()) {
    error_ = "test Postgres cluster: " + pg.error();
    return;
  }
  if (!haproxy.ok()) {
    error_ = "HAProxy: " + haproxy.error();
    return;
  }
  db_url = pg.fresh_database("deploy");
  if (!opt.db_forward_host.empty()) {
    // postgresql://USER@127.0.0.1:PORT/DB -> the same through the forwarder.
    db_forward_ = std::make_unique<TcpForward>(opt.db_forward_host, "127.0.0.1", pg.port());
    if (!db_forward_->ok()) {
      error_ = "database forwarder: " + db_forward_->error();
      return;
    }
    std::string from = "127.0.0.1:" + std::to_string(pg.port());
    auto at = db_url.find(from);
    if (at == std::string::npos) {
      error_ = "unexpected test database URL shape";
      return;
    }
    db_url.replace(at, from.size(), opt.db_forward_host + ":" + std::to_string(db_forward_->port()));
  }
  if (opt.create_schema)
    sql("CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, "
        "email text NOT NULL);"
        "CREATE TABLE jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text, "
        "done_at timestamptz, done_by text);");
  dir = dir_.path();
  int n = ++g_counter;
  std::string tag = std::to_string(getpid()) + "-" + std::to_string(n);
  web = "web-" + tag;
  worker = "worker-" + tag;
  std::string app = PGSTAGE_SAMPLE_APP;
  std::string run = opt.runtime == "docker" || opt.runtime == "swarm" ? "image = \"" + deployed_image() + "\""
                                                                      : "command = \"exec " + app + "\"";
  config_path = dir + "/pgstage.toml";
  std::ofstream f(config_path);
  f << "[deploy]\n"
       "runtime = \""
    << opt.runtime
    << "\"\n"
       "haproxy_socket = \""
    << haproxy.socket()
    << "\"\n"
       "backend = \"app\"\n"
       "database_url_env = \"DATABASE_URL\"\n\n"
       "[services."
    << web << "]\n"
    << run
    << "\n"
       "env = { APP_RELEASE = \"{release}\" }\n"
       "health_interval = \"100ms\"\n"
       "health_timeout = \""
    << deadline("1s")
    << "\"\n"
       "healthy_threshold = 2\n"
       "deploy_timeout = \""
    << deadline(opt.deploy_timeout)
    << "\"\n"
       "drain_timeout = \""
    << opt.drain_timeout
    << "\"\n"
       "stop_timeout = \"10s\"\n"
       "replicas = "
    << opt.replicas << "\n"
    << (opt.runtime == "swarm" ? "port = 8080\n" : "");
  if (opt.worker)
    f << "\n[services." << worker << "]\n"
      << run
      << "\n"
         "proxied = false\n"
         "env = { APP_RELEASE = \"{release}\", APP_ROLE = \"worker\""
      << (opt.worker_stop_delay_ms > 0 ? ", APP_STOP_DELAY_MS = \"" + std::to_string(opt.worker_stop_delay_ms) + "\"" : "")
      << (opt.worker_stop_log.empty() ? "" : ", APP_STOP_LOG = \"" + opt.worker_stop_log + "\"")
      << " }\n"
         "health_interval = \"100ms\"\n"
         "deploy_timeout = \""
      << deadline(opt.deploy_timeout)
      << "\"\n"
         "drain_timeout = \"5s\"\n"
         "replicas = "
      << opt.replicas << "\n";
  f.close();
  std::string err;
  cli::Config project;
  if (!cli::load_config(config_path, project, err)) {
    error_ = "fixture config: " + err;
    return;
  }
  config = project.deploy;
  runtime_ = deploy::make_runtime(config);
}

DeployFixture::~DeployFixture() {
  if (runtime_) {
    for (const auto& svc : {web, worker}) {
      std::string err;
      for (const auto& i : instances(svc)) runtime_->remove(i, err);
    }
  }
}

std::map<std::string, std::string> DeployFixture::run_env() const {
  auto e = env;
  e["DATABASE_URL"] = db_url;
  return e;
}

proc::Result DeployFixture::rollback(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"rollback", "--config", config_path};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_pgstage(args, {.env = run_env(), .merge_stderr = true});
}

Started DeployFixture::start_deploy(const std::string& release, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"deploy", "--release", release, "--config", config_path};
  args.insert(args.end(), extra.begin(), extra.end());
  return start_pgstage(args, {.env = run_env()});
}

proc::Result DeployFixture::apply(const std::string& migrations_dir, const std::string& release,
                                  const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"apply", migrations_dir, "--release", release, "--config", config_path};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_pgstage(args, {.env = run_env(), .merge_stderr = true});
}

proc::Result DeployFixture::deploy(const std::string& release, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"deploy", "--release", release, "--config", config_path};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_pgstage(args, {.env = run_env(), .merge_stderr = true});
}

std::vector<deploy::Instance> DeployFixture::instances(const std::string& service) {
  std::vector<deploy::Instance> out;
  std::string err;
  if (runtime_) runtime_->list(service, out, err);
  return out;
}

void DeployFixture::sql(const std::string& statements) {
  pqxx::connection c(db_url);
  pqxx::work tx(c);
  tx.exec(statements);
  tx.commit();
}

std::string DeployFixture::query1(const std::string& query) {
  pqxx::connection c(db_url);
  pqxx::nontransaction tx(c);
  auto r = tx.exec(query);
  return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
}

std::string DeployFixture::get(const std::string& path, long* status) {
  deploy::HttpRequest req;
  req.url = haproxy.url(path);
  req.timeout = std::chrono::seconds(60);
  deploy::HttpResponse resp;
  std::string err;
  bool ok = deploy::http_request(req, resp, err);
  if (status) *status = ok ? resp.status : 0;
  return ok ? resp.body : "";
}

}  // namespace pgstage::test
