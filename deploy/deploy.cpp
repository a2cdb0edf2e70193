#include "deploy/deploy.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "deploy/deploy_state.h"
#include "deploy/fault.h"
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
// failing step knows what to clean up. `prefix` names the steps of an undo ("undo:").
class ServiceDeploy {
 public:
  ServiceDeploy(const DeployRequest& req, const ServiceConfig& svc, std::string release, ReleaseSpec spec, Runtime& rt,
                Router* router, DeployState& state, std::string prefix = "")
      : req_(req),
        svc_(svc),
        release_(std::move(release)),
        spec_(std::move(spec)),
        rt_(rt),
        router_(router),
        state_(state),
        prefix_(std::move(prefix)) {}

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

  // Nothing served this service before the deploy: take the new instance out again (undo of a
  // first deploy). The slot goes to maint only after its sessions drained.
  bool retire_new(std::string& err) {
    return step(
        "retire",
        [&](std::string& d, std::string& e) {
          std::vector<Instance> instances;
          if (!rt_.list(svc_.name, instances, e)) return false;
          if (svc_.proxied) {
            std::vector<Slot> slots;
            if (!router_->slots(svc_.backend, slots, e)) return false;
            for (const auto& s : slots) {
              if (s.state == SlotState::Maint) continue;
              if (!drain_slot(s.server, d, e) || !router_->shutdown_sessions(svc_.backend, s.server, e) ||
                  !router_->set_state(svc_.backend, s.server, SlotState::Maint, e))
                return false;
            }
          }
          for (const auto& i : instances)
            if (!rt_.stop(i, svc_.stop_timeout, e) || !rt_.remove(i, e)) return false;
          state_.services.erase(svc_.name);
          d = "nothing ran " + svc_.name + " before this deploy: removed its " + std::to_string(instances.size()) +
              " instance(s)";
          return save_deploy_state(req_.config->state_dir, state_, e);
        },
        err);
  }

 private:
  template <typename F>
  bool step(const char* name, F&& f, std::string& err) {
    std::string n = prefix_ + name;
    if (std::string_view(name) != "recover") {
      // Journal the step before it acts, then the test-only kill point.
      state_.journal =
          Journal{release_, svc_.name, n, new_ ? new_->id : "", new_slot_, old_ ? old_->id : "", old_slot_};
      std::string e;
      if (!save_deploy_state(req_.config->state_dir, state_, e)) {
        err = svc_.name + ": " + n + ": " + e;
        return false;
      }
      fault_point(std::string("deploy-before-") + name);
    }
    auto t0 = Clock::now();
    std::string detail, e;
    bool ok = f(detail, e);
    if (req_.on_step) req_.on_step(StepReport{svc_.name, n, ok, since(t0), ok ? detail : e});
    if (!ok) err = svc_.name + ": " + n + ": " + e;
    return ok;
  }

  // `healthy_threshold` consecutive 2xx answers, `health_interval` apart (a proxied instance).
  bool healthy_now(const Instance& inst) {
    std::string why;
    for (int i = 0; i < std::max(1, svc_.healthy_threshold); ++i) {
      if (i > 0) std::this_thread::sleep_for(svc_.health_interval);
      if (!probe_health(inst, svc_, why)) return false;
    }
    return true;
  }

  // Sets `server` to drain and waits (bounded by the drain timeout) for its sessions to reach zero.
  // Only called while another slot is ready.
  bool drain_slot(const std::string& server, std::string& detail, std::string& err) {
    if (!router_->set_state(svc_.backend, server, SlotState::Drain, err)) return false;
    fault_point("deploy-in-drain_old");
    auto t0 = Clock::now();
    int n = 0;
    while (true) {
      if (!router_->sessions(svc_.backend, server, n, err)) return false;
      if (n == 0) {
        detail = svc_.backend + "/" + server + " drained";
        return true;
      }
      if (since(t0) >= svc_.drain_timeout) break;
      std::this_thread::sleep_for(kDrainPollInterval);
    }
    detail = svc_.backend + "/" + server + ": " + std::to_string(n) + " session(s) still open at the drain timeout (" +
             secs(svc_.drain_timeout) + "), closing them";
    return true;
  }

  // What an interrupted deploy (kill -9) left: first make sure one healthy instance serves (the
  // recorded one first), only then drain and remove everything else.
  bool recover(std::string& detail, std::string& err) {
    std::vector<Instance> instances;
    if (!rt_.list(svc_.name, instances, err)) return false;
    const std::string recorded = state_.services.count(svc_.name) ? state_.services[svc_.name].instance : "";
    std::vector<std::string> notes;
    if (state_.journal && state_.journal->service == svc_.name)
      notes.push_back("a deploy of release " + state_.journal->release + " was interrupted at its step " +
                      state_.journal->step);
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
          if (i.host == s.addr && i.port == s.port) return &i;
        return nullptr;
      };
      auto live = [](const Slot* s) { return s->state != SlotState::Maint; };
      const Slot* keep = nullptr;
      if (live(a) && live(b)) {
        // Both slots take (or finish) traffic: the swap was interrupted between switch and
        // stop_old. Keep a healthy one, the recorded (last fully deployed) instance first.
        std::vector<const Slot*> order = {a, b};
        if (const Instance* ib = owner(*b); ib && ib->id == recorded) order = {b, a};
        for (const Slot* s : order)
          if (const Instance* i = owner(*s); i && healthy_now(*i)) {
            keep = s;
            break;
          }
        if (!keep) keep = a->state == SlotState::Ready ? a : b;  // nothing healthy: do not make it worse
      } else if (live(a) || live(b)) {
        keep = live(a) ? a : b;
      }
      if (keep) {
        const Slot* other = keep == a ? b : a;
        if (keep->state != SlotState::Ready) {
          // A slot left in drain while the other is (or goes) out: it must serve again first.
          if (!router_->set_state(svc_.backend, keep->server, SlotState::Ready, err)) return false;
          notes.push_back("slot " + keep->server + " set back to ready");
        }
        if (live(other)) {
          // Only now, with `keep` ready, the other slot may drain and leave.
          std::string d;
          if (!drain_slot(other->server, d, err) || !router_->shutdown_sessions(svc_.backend, other->server, err) ||
              !router_->set_state(svc_.backend, other->server, SlotState::Maint, err))
            return false;
          notes.push_back(d + ", set to maint (interrupted deploy)");
        }
        old_slot_ = keep->server;
        new_slot_ = other->server;
        if (const Instance* i = owner(*keep))
          old_ = *i;
        else
          notes.push_back("slot " + keep->server + " serves " + keep->addr + ":" + std::to_string(keep->port) +
                          ", not started by pgstage; it is drained but not stopped");
      } else {
        new_slot_ = svc_.slots[0];
      }
    } else {
      // Workers: keep the recorded instance if it runs, else the newest one that runs.
      for (const auto& i : instances) {
        InstanceState st;
        if (i.id == recorded && rt_.state(i, st, err) && st == InstanceState::Running) old_ = i;
      }
      if (!old_)
        for (auto it = instances.rbegin(); it != instances.rend() && !old_; ++it) {
          InstanceState st;
          if (rt_.state(*it, st, err) && st == InstanceState::Running) old_ = *it;
        }
    }
    for (const auto& i : instances) {
      if (old_ && i.id == old_->id) continue;
      if (!rt_.stop(i, svc_.proxied ? svc_.stop_timeout : svc_.drain_timeout, err) || !rt_.remove(i, err)) return false;
      notes.push_back("removed leftover " + where(i));
    }
    detail = old_ ? "serving: " + where(*old_) : (old_slot_.empty() ? "nothing serving yet" : "");
    for (const auto& n : notes) detail += (detail.empty() ? "" : "; ") + n;
    return true;
  }

  bool start_new(std::string& detail, std::string& err) {
    deadline_ = Clock::now() + svc_.deploy_timeout;
    InstanceSpec spec;
    spec.service = svc_.name;
    spec.release = release_;
    spec.image = spec_.image;
    spec.command = spec_.command;
    spec.workdir = svc_.workdir;
    spec.container_port = svc_.port;
    for (const auto& [k, v] : svc_.env) spec.env[k] = expand_release(v, release_);
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
    return drain_slot(old_slot_, detail, err);
  }

  bool stop_old(std::string& detail, std::string& err) {
    if (svc_.proxied && !old_slot_.empty()) {
      // The new slot is ready (switch): the old one is not the only one serving.
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
    ServiceState& st = state_.services[svc_.name];
    st.instance = new_->id;
    st.release = release_;
    st.specs[release_] = spec_;
    state_.journal.reset();
    if (!save_deploy_state(req_.config->state_dir, state_, err)) return false;
    detail = svc_.name + " runs release " + release_;
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
  std::string release_;
  ReleaseSpec spec_;
  Runtime& rt_;
  Router* router_;
  DeployState& state_;
  std::string prefix_;
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

namespace {

ReleaseSpec config_spec(const ServiceConfig& svc, const std::string& release) {
  return ReleaseSpec{expand_release(svc.image, release), expand_release(svc.command, release)};
}

// A later service failed: swap the services already swapped back to the release each ran before
// (same health gate and drain), newest first. Returns what it did, for the error message.
std::string undo_swapped(const DeployRequest& req, const std::vector<const ServiceConfig*>& swapped,
                         const DeployState& before, Runtime& runtime, Router* router, DeployState& state) {
  std::string out;
  for (auto it = swapped.rbegin(); it != swapped.rend(); ++it) {
    const ServiceConfig& svc = **it;
    std::string e;
    auto prev = before.services.find(svc.name);
    if (prev == before.services.end() || prev->second.release.empty()) {
      ServiceDeploy sd(req, svc, req.release, config_spec(svc, req.release), runtime, router, state, "undo:");
      out += sd.retire_new(e) ? "; " + svc.name + " had no earlier release: its new instance was removed"
                              : "; could not remove the new instance of " + svc.name + ": " + e;
      continue;
    }
    const std::string& rel = prev->second.release;
    auto spec = prev->second.specs.find(rel);
    ServiceDeploy sd(req, svc, rel, spec != prev->second.specs.end() ? spec->second : config_spec(svc, rel), runtime,
                     router, state, "undo:");
    out += sd.run(e) ? "; " + svc.name + " swapped back to release " + rel
                     : "; could not swap " + svc.name + " back to release " + rel + " (" + e + ")";
  }
  return out;
}

}  // namespace

bool deploy(const DeployRequest& req, Runtime& runtime, Router* router, std::string& err) {
  auto report = [&](const char* step, bool ok, Clock::time_point t0, const std::string& detail) {
    if (req.on_step) req.on_step(StepReport{"", step, ok, since(t0), detail});
  };
  DeployState state;
  if (!load_deploy_state(req.config->state_dir, state, err)) return false;
  std::map<std::string, ReleaseSpec> specs;
  for (const auto& svc : req.config->services) {
    if (!req.from_state) {
      specs[svc.name] = config_spec(svc, req.release);
      continue;
    }
    auto st = state.services.find(svc.name);
    const ReleaseSpec* spec = nullptr;
    if (st != state.services.end())
      if (auto f = st->second.specs.find(req.release); f != st->second.specs.end()) spec = &f->second;
    if (!spec) {
      err = svc.name + ": release " + req.release + " never ran here (no image or command recorded for it in " +
            req.config->state_dir + "/deploy-state.json); nothing was changed";
      return false;
    }
    specs[svc.name] = *spec;
  }
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
  const DeployState before = state;
  std::vector<const ServiceConfig*> swapped;
  auto fail = [&](std::string why) {
    why += undo_swapped(req, swapped, before, runtime, router, state);
    state.journal.reset();
    std::string e;
    save_deploy_state(req.config->state_dir, state, e);
    err = why;
    return false;
  };
  for (const auto& svc : req.config->services) {
    if (!swapped.empty()) fault_point("deploy-between-services");
    ServiceDeploy sd(req, svc, req.release, specs[svc.name], runtime, router, state);
    std::string e;
    if (!sd.run(e)) return fail(e);
    swapped.push_back(&svc);
  }
  fault_point("deploy-before-release-record");
  if (req.record) {
    auto t0 = Clock::now();
    std::string e;
    bool ok = req.record(e);
    report("record", ok, t0, ok ? "release " + req.release + " recorded as deployed" : e);
    if (!ok) return fail("record: " + e);
  }
  std::erase(state.releases, req.release);
  state.releases.push_back(req.release);
  state.journal.reset();
  return save_deploy_state(req.config->state_dir, state, err);
}

}  // namespace pgstage::deploy
