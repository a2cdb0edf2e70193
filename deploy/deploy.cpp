#include "deploy/deploy.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "deploy/deploy_state.h"
#include "deploy/http.h"

namespace pgstage::deploy {
namespace {

using Clock = std::chrono::steady_clock;

Millis since(Clock::time_point t) { return std::chrono::duration_cast<Millis>(Clock::now() - t); }

std::string secs(Millis d) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

std::string where(const Instance& i) {
  return (i.id.size() == 64 ? i.id.substr(0, 12) : i.id) + " (release " + i.release + ") on " + i.host + ":" +
         std::to_string(i.port);
}

// One service's swap. Each step is a member; `old_`/`new_` hold what exists at each point so a
// failing step knows what to clean up.
class ServiceDeploy {
 public:
  ServiceDeploy(const DeployRequest& req, const ServiceConfig& svc, Runtime& rt, Router* router,
                std::map<std::string, ServiceState>& state)
      : req_(req), svc_(svc), rt_(rt), router_(router), state_(state) {}

  bool run(std::string& err) {
    if (svc_.proxied && !router_) {
      err = svc_.name + ": proxied service but no router configured";
      return false;
    }
    if (!step(
            "recover", [&](std::string& d, std::string& e) { return recover(d, e); }, err))
      return false;
    if (!step(
            "start_new", [&](std::string& d, std::string& e) { return start_new(d, e); }, err))
      return false;
    if (!step(
            "wait_healthy", [&](std::string& d, std::string& e) { return wait_healthy(d, e); }, err))
      return false;
    if (svc_.proxied) {
      if (!step(
              "switch", [&](std::string& d, std::string& e) { return switch_traffic(d, e); }, err))
        return false;
      if (!step(
              "drain_old", [&](std::string& d, std::string& e) { return drain_old(d, e); }, err))
        return false;
    }
    if (!step(
            "stop_old", [&](std::string& d, std::string& e) { return stop_old(d, e); }, err))
      return false;
    return step(
        "record", [&](std::string& d, std::string& e) { return record(d, e); }, err);
  }

 private:
  template <typename F>
  bool step(const char* name, F&& f, std::string& err) {
    auto t0 = Clock::now();
    std::string detail, e;
    bool ok = f(detail, e);
    if (req_.on_step) req_.on_step(StepReport{svc_.name, name, ok, since(t0), ok ? detail : e});
    if (!ok) err = svc_.name + ": " + name + ": " + e;
    return ok;
  }

  // Leftovers of an interrupted deploy: instances no live slot points at (or, for workers, not
  // the recorded one) are removed; if both slots are live, the one not recorded is drained.
  bool recover(std::string& detail, std::string& err) {
    std::vector<Instance> instances;
    if (!rt_.list(svc_.name, instances, err)) return false;
    const std::string recorded = state_.count(svc_.name) ? state_[svc_.name].instance : "";
    std::vector<std::string> notes;
    if (svc_.proxied) {
      std::vector<Slot> slots;
      if (!router_->slots(svc_.backend, slots, err)) return false;
      const Slot* a = find_slot(slots, svc_.slots[0]);
      const Slot* b = find_slot(slots, svc_.slots[1]);
      if (!a || !b) {
        err = "HAProxy backend " + svc_.backend + " needs servers \"" + svc_.slots[0] + "\" and \"" + svc_.slots[1] +
              "\" (see samples/haproxy.cfg)";
        return false;
      }
      auto owner = [&](const Slot& s) -> const Instance* {
        for (const auto& i : instances)
          if (s.state != SlotState::Maint && i.host == s.addr && i.port == s.port) return &i;
        return nullptr;
      };
      bool a_live = a->state != SlotState::Maint, b_live = b->state != SlotState::Maint;
      if (a_live && b_live) {
        // Interrupted between switch and stop_old: keep the recorded instance, retire the other.
        const Slot* keep = a;
        const Instance* ia = owner(*a);
        const Instance* ib = owner(*b);
        if ((ib && ib->id == recorded) || (!ia && ib)) keep = b;
        const Slot* drop = keep == a ? b : a;
        const Instance* drop_inst = owner(*drop);
        if (!router_->set_state(svc_.backend, drop->server, SlotState::Maint, err)) return false;
        notes.push_back("slot " + drop->server + " set to maint (interrupted deploy)");
        if (drop_inst) {
          if (!rt_.stop(*drop_inst, svc_.stop_timeout, err) || !rt_.remove(*drop_inst, err)) return false;
          notes.push_back("removed " + where(*drop_inst));
          std::erase_if(instances, [&](const Instance& i) { return i.id == drop_inst->id; });
        }
        a_live = keep == a;
        b_live = keep == b;
      }
      const Slot* live = a_live ? a : (b_live ? b : nullptr);
      new_slot_ = live == a ? svc_.slots[1] : svc_.slots[0];
      if (live) {
        old_slot_ = live->server;
        if (const Instance* i = owner(*live))
          old_ = *i;
        else
          notes.push_back("slot " + live->server + " serves " + live->addr + ":" + std::to_string(live->port) +
                          ", not started by pgstage; it is drained but not stopped");
      }
    } else {
      for (const auto& i : instances) {
        InstanceState st;
        if (i.id == recorded && rt_.state(i, st, err) && st == InstanceState::Running) old_ = i;
      }
    }
    for (const auto& i : instances) {
      if (old_ && i.id == old_->id) continue;
      if (!rt_.remove(i, err)) return false;
      notes.push_back("removed leftover " + where(i));
    }
    detail = old_ ? "serving: " + where(*old_) : (old_slot_.empty() ? "nothing serving yet" : "");
    for (const auto& n : notes) detail += "; " + n;
    return true;
  }

  bool start_new(std::string& detail, std::string& err) {
    deadline_ = Clock::now() + svc_.deploy_timeout;
    InstanceSpec spec;
    spec.service = svc_.name;
    spec.release = req_.release;
    spec.image = expand_release(svc_.image, req_.release);
    spec.command = expand_release(svc_.command, req_.release);
    spec.workdir = svc_.workdir;
    spec.container_port = svc_.port;
    for (const auto& [k, v] : svc_.env) spec.env[k] = expand_release(v, req_.release);
    for (const auto& [k, v] : req_.env) spec.env[k] = v;
    Instance inst;
    if (!rt_.start(spec, inst, err)) return false;
    new_ = inst;
    detail = where(inst);
    return true;
  }

  bool wait_healthy(std::string& detail, std::string& err) {
    int streak = 0;
    std::string why = "no probe answered yet";
    auto started = Clock::now();
    while (Clock::now() < deadline_) {
      InstanceState st;
      if (!rt_.state(*new_, st, err)) return fail_new(err, err);
      if (st != InstanceState::Running) return fail_new("the new instance exited before it became healthy", err);
      bool healthy;
      if (!svc_.health_path.empty()) {
        healthy = probe_health(*new_, svc_, why);
      } else {
        healthy = since(started) >= svc_.min_running;
        why = "running for " + secs(since(started));
      }
      streak = healthy ? streak + 1 : 0;
      if (streak >= (svc_.health_path.empty() ? 1 : svc_.healthy_threshold)) {
        detail = svc_.health_path.empty() ? why : std::to_string(streak) + " consecutive 2xx on " + svc_.health_path;
        return true;
      }
      std::this_thread::sleep_for(std::min(
          svc_.health_interval, std::max(Millis(1), std::chrono::duration_cast<Millis>(deadline_ - Clock::now()))));
    }
    return fail_new("not healthy within the deploy timeout (" + secs(svc_.deploy_timeout) + "); last probe: " + why,
                    err);
  }

  // The new instance failed: remove it, keep the old one serving, explain with its last logs.
  bool fail_new(std::string why, std::string& err) {
    std::string logs = rt_.logs(*new_, kFailureLogLines);
    std::string ignored;
    rt_.remove(*new_, ignored);
    err = why + "; removed " + where(*new_) + ", " + (old_ ? "the old instance keeps serving" : "nothing was serving") +
          (logs.empty() ? std::string("; it logged nothing") : "\n--- last log lines of the new instance ---\n" + logs);
    new_.reset();
    return false;
  }

  bool switch_traffic(std::string& detail, std::string& err) {
    if (!router_->set_addr(svc_.backend, new_slot_, new_->host, new_->port, err) ||
        !router_->set_state(svc_.backend, new_slot_, SlotState::Ready, err)) {
      std::string ignored;
      router_->set_state(svc_.backend, new_slot_, SlotState::Maint, ignored);
      rt_.remove(*new_, ignored);
      err += "; removed the new instance, the old one keeps serving";
      return false;
    }
    detail = svc_.backend + "/" + new_slot_ + " -> " + new_->host + ":" + std::to_string(new_->port) + " ready";
    return true;
  }

  bool drain_old(std::string& detail, std::string& err) {
    if (old_slot_.empty()) {
      detail = "nothing to drain";
      return true;
    }
    if (!router_->set_state(svc_.backend, old_slot_, SlotState::Drain, err)) return false;
    auto t0 = Clock::now();
    int n = 0;
    while (true) {
      if (!router_->sessions(svc_.backend, old_slot_, n, err)) return false;
      if (n == 0) {
        detail = svc_.backend + "/" + old_slot_ + " drained";
        return true;
      }
      if (since(t0) >= svc_.drain_timeout) break;
      std::this_thread::sleep_for(kDrainPollInterval);
    }
    detail = svc_.backend + "/" + old_slot_ + ": " + std::to_string(n) +
             " session(s) still open at the drain timeout (" + secs(svc_.drain_timeout) + "), closing them";
    return true;
  }

  bool stop_old(std::string& detail, std::string& err) {
    if (svc_.proxied && !old_slot_.empty()) {
      if (!router_->shutdown_sessions(svc_.backend, old_slot_, err) ||
          !router_->set_state(svc_.backend, old_slot_, SlotState::Maint, err))
        return false;
    }
    if (!old_) {
      detail = old_slot_.empty() ? "nothing to stop" : svc_.backend + "/" + old_slot_ + " in maint";
      return true;
    }
    // Workers get the drain timeout to finish their current job after SIGTERM.
    Millis grace = svc_.proxied ? svc_.stop_timeout : svc_.drain_timeout;
    if (!rt_.stop(*old_, grace, err) || !rt_.remove(*old_, err)) return false;
    detail = "stopped " + where(*old_);
    return true;
  }

  bool record(std::string& detail, std::string& err) {
    state_[svc_.name] = ServiceState{new_->id, req_.release};
    if (!save_deploy_state(req_.config->state_dir, state_, err)) return false;
    detail = svc_.name + " runs release " + req_.release;
    return true;
  }

  static const Slot* find_slot(const std::vector<Slot>& slots, const std::string& name) {
    for (const auto& s : slots)
      if (s.server == name) return &s;
    return nullptr;
  }

 private:
  const DeployRequest& req_;
  const ServiceConfig& svc_;
  Runtime& rt_;
  Router* router_;
  std::map<std::string, ServiceState>& state_;
  std::optional<Instance> old_, new_;
  std::string old_slot_, new_slot_;
  Clock::time_point deadline_;
};

}  // namespace

bool probe_health(const Instance& inst, const ServiceConfig& svc, std::string& why) {
  HttpRequest req;
  req.url = "http://" + inst.host + ":" + std::to_string(inst.port) + svc.health_path;
  req.timeout = svc.health_timeout;
  req.connect_timeout = std::min(svc.health_timeout, Millis(2000));
  HttpResponse resp;
  std::string err;
  if (!http_request(req, resp, err)) {
    why = err;
    return false;
  }
  why = "HTTP " + std::to_string(resp.status);
  return resp.status >= 200 && resp.status < 300;
}

bool deploy(const DeployRequest& req, Runtime& runtime, Router* router, std::string& err) {
  auto report = [&](const char* step, bool ok, Clock::time_point t0, const std::string& detail) {
    if (req.on_step) req.on_step(StepReport{"", step, ok, since(t0), detail});
  };
  std::map<std::string, ServiceState> state;
  if (!load_deploy_state(req.config->state_dir, state, err)) return false;
  if (req.predeploy) {
    auto t0 = Clock::now();
    std::string e;
    bool ok = req.predeploy(e);
    report("run_predeploy", ok, t0, ok ? "" : e);
    if (!ok) {
      err = "run_predeploy: " + e + " (no instance was touched)";
      return false;
    }
  }
  for (const auto& svc : req.config->services) {
    ServiceDeploy sd(req, svc, runtime, router, state);
    if (!sd.run(err)) return false;
  }
  if (req.record) {
    auto t0 = Clock::now();
    std::string e;
    bool ok = req.record(e);
    report("record", ok, t0, ok ? "release " + req.release + " recorded as deployed" : e);
    if (!ok) {
      err = "record: " + e;
      return false;
    }
  }
  return true;
}

}  // namespace pgstage::deploy
