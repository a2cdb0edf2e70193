#include "cli/deploy_run.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "deploy/apply_lock.h"
#include "db/redact.h"
#include "deploy/verify_load.h"
#include "executor/apply.h"

namespace fs = std::filesystem;

namespace pgstage::cli {
namespace {

std::string secs(deploy::Millis d) {
  char buf[32];
  snprintf(buf, sizeof buf, "%6.2fs", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

std::string pad(const std::string& s, size_t n) { return s.size() >= n ? s + " " : s + std::string(n - s.size(), ' '); }

}  // namespace

void guard_release(DeployRun& run, const std::string& what) {
  const std::string target = run.release;
  run.predeploy = [target, what](const std::string& url, std::string& e) {
    if (url.empty()) {
      std::cout << "no database URL: the contracts that ran since " << target << " was deployed are not checked\n";
      return true;
    }
    executor::RollbackCheck chk;
    if (auto r = executor::check_rollback(url, target, chk); !r.ok) {
      e = db::redact_secrets(r.error, url);
      return false;
    }
    if (!chk.blockers.empty()) {
      e = "refused: release " + target + " cannot run against the schema as it is now:";
      for (const auto& b : chk.blockers) e += "\n  " + b;
      e += "\nnothing was changed; deploy a release that does not need it instead";
      return false;
    }
    if (chk.known && what == "rollback")
      std::cout << "contracts since " << target << " was deployed: none removed anything it uses\n";
    return true;
  };
  run.record = [target](const std::string& url, std::string& e) {
    if (url.empty()) return true;
    auto r = executor::mark_deployed(url, target);
    if (!r.ok) e = db::redact_secrets(r.error, url);
    return r.ok;
  };
}

int run_deploy(const DeployRun& run, std::ostream& out, std::ostream& errs) {
  std::string err;
  const deploy::DeployConfig& cfg = run.config;
  const std::string& path = run.config_path;
  if (cfg.services.empty()) {
    errs << "pgstage: error: " << path << ": no [services.NAME] to deploy\n";
    return kExitUsage;
  }
  if (run.release.empty()) {
    errs << "pgstage: error: --release NAME is required\n";
    return kExitUsage;
  }
  deploy::ApplyLock lock;
  if (!lock.acquire(cfg.state_dir, err)) {
    errs << "pgstage: error: " << err << "\n";
    return kExitFailed;
  }
  std::string url = run.database_url;
  if (url.empty())
    if (const char* v = std::getenv(cfg.database_url_env.c_str())) url = v;

  auto runtime = deploy::make_runtime(cfg);
  std::unique_ptr<deploy::Router> router;
  for (const auto& s : cfg.services)
    if (s.proxied) router = std::make_unique<deploy::HaproxyRouter>(cfg.haproxy_socket);

  deploy::DeployRequest req;
  req.config = &cfg;
  req.release = run.release;
  req.from_state = run.from_state;
  if (!url.empty()) req.env[cfg.database_url_env] = url;
  if (run.predeploy) req.predeploy = [&](std::string& e) { return run.predeploy(url, e); };
  // --verify-load is judged once every service is swapped, before the release is recorded: the
  // exit code (0, or 3 for failed requests) is decided before the state says "deployed".
  deploy::LoadGenerator load;
  bool load_stopped = false, load_failed = false;
  auto stop_load = [&] {
    if (run.verify_load_url.empty() || load_stopped) return;
    load_stopped = true;
    deploy::LoadStats s = load.stop();
    out << "verify-load: " << s.requests << " requests served, " << s.non_2xx << " non-2xx, " << s.conn_errors
        << " connection errors";
    if (!s.first_error.empty()) out << " (first: " << s.first_error << ")";
    out << "\n";
    load_failed = s.non_2xx + s.conn_errors > 0;
  };
  req.record = [&](std::string& e) {
    stop_load();
    return run.record ? run.record(url, e) : true;
  };
  req.on_step = [&](const deploy::StepReport& r) {
    out << "  " << pad(r.service.empty() ? "-" : r.service, 10) << pad(r.step, 14) << pad(r.ok ? "ok" : "FAILED", 7)
        << secs(r.elapsed);
    std::string first = r.detail.substr(0, r.detail.find('\n'));
    if (!first.empty()) out << "  " << first;
    out << "\n" << std::flush;
  };

  out << "deploying release " << run.release << " (" << runtime->name() << " runtime, " << cfg.services.size()
      << " service" << (cfg.services.size() == 1 ? "" : "s") << ")\n";
  if (!run.verify_load_url.empty()) load.start(run.verify_load_url, run.verify_load_threads);
  auto t0 = std::chrono::steady_clock::now();
  bool ok = deploy::deploy(req, *runtime, router.get(), err);
  auto total = std::chrono::duration_cast<deploy::Millis>(std::chrono::steady_clock::now() - t0);
  stop_load();
  if (!ok) {
    errs << "pgstage: error: " << err << "\n";
    return kExitFailed;
  }
  if (load_failed) {
    errs << "pgstage: error: release " << run.release
         << " is deployed and recorded, but --verify-load saw failed requests during the swap (exit "
         << kExitDeployedWithErrors << ")\n";
    return kExitDeployedWithErrors;
  }
  out << "release " << run.release << " deployed in " << secs(total).substr(secs(total).find_first_not_of(' ')) << "\n";
  return kExitOk;
}

}  // namespace pgstage::cli
