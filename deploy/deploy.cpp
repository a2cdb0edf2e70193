#include "deploy/deploy.h"

#include <algorithm>
#include <chrono>
#include <vector>
#include <optional>
#include <set>
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

std::string join(const std::vector<std::string>& v, const char* sep = ",") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string where_all(const std::vector<Instance>& v) {
  std::string out;
  for (const auto& i : v) out += (out.empty() ? "" : ", ") + where(i);
  return out;
}

// True when `server` belongs to the colour `base`: named exactly so, or <base><digits> (the
// names `server-template base N ...` gives).
bool in_colour(const std::string& server, const std::string& base) {
  if (server.size() < base.size() || server.compare(0, base.size(), base) != 0) return false;
  for (size_t i = base.size(); i < server.size(); ++i)
    if (!isdigit(static_cast<unsigned char>(server[i]))) return false;
  return true;
}

// One service's swap of its `replicas` instances. Each step is a member; `olds_`/`news_` hold what
// exists at each point so a failing step knows what to clean up. `prefix` names the steps of an
// undo ("undo:").
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

  // The release whose instances served when this deploy began (found by `recover`; "" if nothing
  // served). Valid once run() got past recover.
  const std::string& served_before() const { return served_before_; }

  // Nothing served this service before the deploy (its first deploy): the undo takes it back to
  // serving nothing, as before. There is no old release to return to, and keeping the new one
  // would leave part of a release that is not recorded running (exit 1 promises none of it runs).
  // Its requests in flight finish first: the slots drain (bounded by drain_timeout; new requests
  // get what they got before the deploy, HAProxy's 503) and go to maint only then; workers get
  // drain_timeout to finish their job, as in stop_old.
  bool retire_new(std::string& err) {
    return step(
        "retire",
        [&](std::string& d, std::string& e) {
          std::vector<Instance> instances;
          if (!rt_.list(svc_.name, instances, e)) return false;
          if (svc_.proxied) {
            std::vector<Slot> slots;
            if (!router_->slots(svc_.backend, slots, e)) return false;
            std::vector<std::string> live;
            for (const auto& s : slots)
              if (s.state != SlotState::Maint &&
                  (in_colour(s.server, svc_.slots[0]) || in_colour(s.server, svc_.slots[1])))
                live.push_back(s.server);
            if (!live.empty() && !drain_slots(live, d, e)) return false;
            for (const auto& s : live)
              if (!router_->shutdown_sessions(svc_.backend, s, e) ||
                  !router_->set_state(svc_.backend, s, SlotState::Maint, e))
                return false;
          }
          if (!stop_all(instances, svc_.proxied ? svc_.stop_timeout : svc_.drain_timeout, e)) return false;
          state_.services.erase(svc_.name);
          d = (d.empty() ? "" : d + "; ") + "nothing served " + svc_.name + " before this deploy: stopped its " +
              std::to_string(instances.size()) + " instance(s) of release " + release_;
          return save_deploy_state(req_.config->state_dir, state_, e);
        },
        err);
  }

 private:
  static std::vector<std::string> ids(const std::vector<Instance>& v) {
    std::vector<std::string> out;
    for (const auto& i : v) out.push_back(i.id);
    return out;
  }

  template <typename F>
  bool step(const char* name, F&& f, std::string& err) {
    std::string n = prefix_ + name;
    if (std::string_view(name) != "recover") {
      // Journal the step before it acts, then the test-only kill point.
      state_.journal =
          Journal{release_, svc_.name, n, join(ids(news_)), join(new_slots_), join(ids(olds_)), join(old_slots_)};
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

  int replicas() const { return std::max(1, svc_.replicas); }
  int min_healthy() const { return svc_.min_healthy > 0 ? std::min(svc_.min_healthy, replicas()) : replicas(); }

  // `healthy_threshold` consecutive 2xx answers, `health_interval` apart (a proxied instance).
  bool healthy_now(const Instance& inst) {
    std::string why;
    for (int i = 0; i < std::max(1, svc_.healthy_threshold); ++i) {
      if (i > 0) std::this_thread::sleep_for(svc_.health_interval);
      if (!probe_health(inst, svc_, why)) return false;
    }
    return true;
  }

  // Stops and removes every instance in `v` at once: each gets the whole grace period after its
  // SIGTERM and the periods overlap, so N workers finishing their jobs take one drain timeout, not
  // N. The tasks of one Swarm service go with it: one stop per service.
  bool stop_all(const std::vector<Instance>& v, Millis grace, std::string& err) {
    std::vector<const Instance*> todo;
    std::set<std::string> groups;
    for (const auto& i : v)
      if (i.group.empty() || groups.insert(i.group).second) todo.push_back(&i);
    if (todo.size() == 1) return rt_.stop(*todo[0], grace, err) && rt_.remove(*todo[0], err);
    std::vector<std::string> errs(todo.size());
    std::vector<char> ok(todo.size(), 0);
    {
      std::vector<std::jthread> stops;
      for (size_t k = 0; k < todo.size(); ++k)
        stops.emplace_back([&, k] { ok[k] = rt_.stop(*todo[k], grace, errs[k]) && rt_.remove(*todo[k], errs[k]); });
    }  // joined here
    for (size_t k = 0; k < todo.size(); ++k)
      if (!ok[k]) {
        err = errs[k];
        return false;
      }
    return true;
  }

  // Sets `servers` to drain and waits (bounded by the drain timeout) for their sessions to reach
  // zero. Only called while other servers are ready.
  bool drain_slots(const std::vector<std::string>& servers, std::string& detail, std::string& err) {
    for (const auto& s : servers)
      if (!router_->set_state(svc_.backend, s, SlotState::Drain, err)) return false;
    fault_point("deploy-in-drain_old");
    auto t0 = Clock::now();
    int total = 0;
    const std::string names = svc_.backend + "/" + join(servers);
    while (true) {
      total = 0;
      for (const auto& s : servers) {
        int n = 0;
        if (!router_->sessions(svc_.backend, s, n, err)) return false;
        total += n;
      }
      if (total == 0) {
        detail = names + " drained";
        return true;
      }
      if (since(t0) >= svc_.drain_timeout) break;
      std::this_thread::sleep_for(kDrainPollInterval);
    }
    detail = names + ": " + std::to_string(total) + " session(s) still open at the drain timeout (" +
             secs(svc_.drain_timeout) + "), closing them";
    return true;
  }

  // What an interrupted deploy (kill -9) left: first make sure healthy instances serve (the
  // recorded ones first), only then drain and remove everything else.
  bool recover(std::string& detail, std::string& err) {
    std::vector<Instance> instances;
    if (!rt_.list(svc_.name, instances, err)) return false;
    std::vector<std::string> recorded;
    if (auto it = state_.services.find(svc_.name); it != state_.services.end()) recorded = it->second.instances;
    auto is_recorded = [&](const Instance& i) {
      return std::find(recorded.begin(), recorded.end(), i.id) != recorded.end();
    };
    std::vector<std::string> notes;
    if (state_.journal && state_.journal->service == svc_.name)
      notes.push_back("a deploy of release " + state_.journal->release + " was interrupted at its step " +
                      state_.journal->step);
    if (svc_.proxied) {
      std::vector<Slot> slots;
      if (!router_->slots(svc_.backend, slots, err)) return false;
      std::vector<const Slot*> colour[2];
      for (const auto& s : slots)
        for (int c = 0; c < 2; ++c)
          if (in_colour(s.server, svc_.slots[c])) {
            colour[c].push_back(&s);
            break;
          }
      for (int c = 0; c < 2; ++c)
        if (static_cast<int>(colour[c].size()) < replicas()) {
          err = replicas() == 1
                    ? "HAProxy backend " + svc_.backend + " needs servers \"" + svc_.slots[0] + "\" and \"" +
                          svc_.slots[1] + "\" (see samples/haproxy.cfg)"
                    : "HAProxy backend " + svc_.backend + " has " + std::to_string(colour[c].size()) +
                          " server(s) named " + svc_.slots[c] + "<n>, replicas = " + std::to_string(replicas()) +
                          " needs " + std::to_string(replicas()) + " of each colour, e.g. `server-template " +
                          svc_.slots[c] + " " + std::to_string(replicas()) +
                          " 127.0.0.1:1 disabled` (see samples/haproxy.cfg)";
          return false;
        }
      auto owner = [&](const Slot& s) -> const Instance* {
        for (const auto& i : instances)
          if (i.host == s.addr && i.port == s.port) return &i;
        return nullptr;
      };
      auto live = [](const Slot* s) { return s->state != SlotState::Maint; };
      auto any_live = [&](int c) { return std::any_of(colour[c].begin(), colour[c].end(), live); };
      auto any_healthy = [&](int c) {
        for (const Slot* s : colour[c])
          if (const Instance* i = owner(*s); i && live(s) && healthy_now(*i)) return true;
        return false;
      };
      auto any_recorded = [&](int c) {
        for (const Slot* s : colour[c])
          if (const Instance* i = owner(*s); i && live(s) && is_recorded(*i)) return true;
        return false;
      };
      auto any_ready = [&](int c) {
        return std::any_of(colour[c].begin(), colour[c].end(),
                           [](const Slot* s) { return s->state == SlotState::Ready; });
      };
      int keep = -1;
      if (any_live(0) && any_live(1)) {
        // Both colours take (or finish) traffic: the swap was interrupted between switch and
        // stop_old. Keep a healthy one, the recorded (last fully deployed) release first.
        std::vector<int> order = any_recorded(1) ? std::vector<int>{1, 0} : std::vector<int>{0, 1};
        for (int c : order)
          if (any_healthy(c)) {
            keep = c;
            break;
          }
        if (keep < 0) keep = any_ready(0) ? 0 : 1;  // nothing healthy: do not make it worse
      } else if (any_live(0) || any_live(1)) {
        keep = any_live(0) ? 0 : 1;
      }
      if (keep >= 0) {
        const int other = 1 - keep;
        for (const Slot* s : colour[keep]) {
          if (!live(s)) continue;
          if (s->state != SlotState::Ready) {
            // A slot left in drain while the other colour is (or goes) out: it must serve again first.
            if (!router_->set_state(svc_.backend, s->server, SlotState::Ready, err)) return false;
            notes.push_back("slot " + s->server + " set back to ready");
          }
          old_slots_.push_back(s->server);
          if (const Instance* i = owner(*s))
            olds_.push_back(*i);
          else
            notes.push_back("slot " + s->server + " serves " + s->addr + ":" + std::to_string(s->port) +
                            ", not started by pgstage; it is drained but not stopped");
        }
        std::vector<std::string> drain;
        for (const Slot* s : colour[other])
          if (live(s)) drain.push_back(s->server);
        if (!drain.empty()) {
          // Only now, with the kept colour ready, the other one may drain and leave.
          std::string d;
          if (!drain_slots(drain, d, err)) return false;
          for (const auto& s : drain)
            if (!router_->shutdown_sessions(svc_.backend, s, err) ||
                !router_->set_state(svc_.backend, s, SlotState::Maint, err))
              return false;
          notes.push_back(d + ", set to maint (interrupted deploy)");
        }
        for (int i = 0; i < replicas(); ++i) new_slots_.push_back(colour[other][i]->server);
      } else {
        for (int i = 0; i < replicas(); ++i) new_slots_.push_back(colour[0][i]->server);
      }
    } else {
      // Workers: keep the recorded instances that run, else those of the newest release that run.
      std::vector<Instance> running;
      for (const auto& i : instances) {
        InstanceState st;
        if (rt_.state(i, st, err) && st == InstanceState::Running) running.push_back(i);
      }
      for (const auto& i : running)
        if (is_recorded(i)) olds_.push_back(i);
      if (olds_.empty() && !running.empty())
        for (const auto& i : running)
          if (i.release == running.back().release) olds_.push_back(i);
    }
    std::vector<Instance> leftovers;
    for (const auto& i : instances) {
      if (std::any_of(olds_.begin(), olds_.end(), [&](const Instance& o) { return o.id == i.id; })) continue;
      // Swarm: a task is removed with its whole service; never one that also runs a kept task.
      if (!i.group.empty() &&
          std::any_of(olds_.begin(), olds_.end(), [&](const Instance& o) { return o.group == i.group; })) {
        notes.push_back("kept " + where(i) + ": its Swarm service also runs instances that serve");
        continue;
      }
      leftovers.push_back(i);
    }
    if (!stop_all(leftovers, svc_.proxied ? svc_.stop_timeout : svc_.drain_timeout, err)) return false;
    for (const auto& i : leftovers) notes.push_back("removed leftover " + where(i));
    if (!olds_.empty()) served_before_ = olds_.back().release;
    detail = !olds_.empty() ? "serving: " + where_all(olds_) : (old_slots_.empty() ? "nothing serving yet" : "");
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
    spec.placement = svc_.placement;
    spec.stop_grace = svc_.proxied ? svc_.stop_timeout : svc_.drain_timeout;
    std::vector<Instance> started;
    if (!rt_.start_many(spec, replicas(), svc_.deploy_timeout, started, err)) return false;
    news_ = std::move(started);
    detail = where_all(news_);
    return true;
  }

  bool wait_healthy(std::string& detail, std::string& err) {
    const size_t n = news_.size();
    std::vector<int> streak(n, 0);
    std::vector<bool> passed(n, false), exited(n, false);
    std::vector<std::string> why(n, "no probe answered yet");
    std::vector<std::string> replaced;  // "old by new", for the step's detail
    auto started = Clock::now();
    auto count = [](const std::vector<bool>& v) { return static_cast<int>(std::count(v.begin(), v.end(), true)); };
    const bool by_time = svc_.health_path.empty() || (!svc_.proxied && n > 0 && news_[0].port == 0);
    const int threshold = by_time ? 1 : svc_.healthy_threshold;
    while (Clock::now() < deadline_) {
      for (size_t k = 0; k < n; ++k) {
        // On a runtime that reschedules, an instance that passed is looked at again each round:
        // Swarm may have replaced it since (its node went down).
        if (exited[k] || (passed[k] && !rt_.reschedules())) continue;
        InstanceState st;
        if (!rt_.state(news_[k], st, err)) return fail_new(k, err, err);
        if (passed[k] && st == InstanceState::Running) continue;
        passed[k] = false;
        if (st != InstanceState::Running && rt_.reschedules() && !news_[k].group.empty()) {
          // Swarm no longer runs it (its node went down, or it failed): it starts another task in
          // its place, which takes the same health gate within the same deploy timeout.
          Instance next;
          if (!replacement_for(k, next, err)) return fail_new(k, err, err);
          if (next.id.empty()) {
            why[k] = where(news_[k]) + " stopped running (its node went down, or it failed); no replacement running yet";
            streak[k] = 0;
            continue;
          }
          replaced.push_back(where(news_[k]) + " by " + where(next));
          news_[k] = next;
          streak[k] = 0;
          why[k] = "no probe answered yet";
          continue;
        }
        if (st != InstanceState::Running) {
          exited[k] = true;
          if (static_cast<int>(n) - count(exited) < min_healthy())
            return fail_new(k,
                            n == 1 ? "the new instance exited before it became healthy"
                                   : "new instance " + where(news_[k]) + " exited before it became healthy",
                            err);
          continue;
        }
        bool healthy;
        // A worker on a runtime that gives it no port (a Swarm service without ports) is healthy
        // once it ran `min_running`, like a worker without health path.
        if (!svc_.health_path.empty() && (svc_.proxied || news_[k].port > 0)) {
          healthy = probe_health(news_[k], svc_, why[k]);
        } else {
          healthy = since(started) >= svc_.min_running;
          why[k] = "running for " + secs(since(started));
        }
        streak[k] = healthy ? streak[k] + 1 : 0;
        if (streak[k] >= threshold) passed[k] = true;
      }
      if (count(passed) + count(exited) == static_cast<int>(n)) break;
      std::this_thread::sleep_for(std::min(
          svc_.health_interval, std::max(Millis(1), std::chrono::duration_cast<Millis>(deadline_ - Clock::now()))));
    }
    const int healthy = count(passed);
    if (healthy < min_healthy()) {
      size_t k = 0;
      while (k < n && passed[k]) ++k;
      std::string msg = "not healthy within the deploy timeout (" + secs(svc_.deploy_timeout) +
                        "); last probe: " + why[k < n ? k : 0];
      if (n > 1)
        msg = std::to_string(healthy) + " of " + std::to_string(n) + " new instances healthy, " +
              std::to_string(min_healthy()) + " needed: " + where(news_[k < n ? k : 0]) + " " + msg;
      return fail_new(k < n ? k : 0, msg, err);
    }
    // Fewer than all but at least min_healthy: the others are removed, the healthy ones serve.
    std::vector<Instance> keep, drop;
    for (size_t k = 0; k < n; ++k) (passed[k] ? keep : drop).push_back(news_[k]);
    std::string ignored;
    for (const auto& i : drop) rt_.remove(i, ignored);
    news_ = keep;
    if (by_time)
      detail = n == 1 ? why[0]
                      : std::to_string(healthy) + " of " + std::to_string(n) + " running for " + secs(svc_.min_running);
    else
      detail = (n == 1 ? std::to_string(streak[0])
                       : std::to_string(healthy) + " of " + std::to_string(n) + " with " + std::to_string(threshold)) +
               " consecutive 2xx on " + svc_.health_path;
    if (!drop.empty()) detail += "; removed the unhealthy " + where_all(drop);
    if (!replaced.empty()) detail += "; followed Swarm's replacement of " + join(replaced, ", ");
    return true;
  }

  // The instance the runtime started in place of news_[k] (same group, running, with a port when
  // proxied, not one of news_): `out.id` empty when there is none yet.
  bool replacement_for(size_t k, Instance& out, std::string& err) {
    out = Instance{};
    std::vector<Instance> running;
    if (!rt_.running_in_group(news_[k].group, running, err)) return false;
    for (const auto& i : running) {
      if (svc_.proxied && i.port <= 0) continue;
      if (std::any_of(news_.begin(), news_.end(), [&](const Instance& o) { return o.id == i.id; })) continue;
      out = i;
      return true;
    }
    return true;
  }

  // The new instances failed: remove them, keep the old ones serving, explain with the last logs
  // of the one that failed (`k`).
  bool fail_new(size_t k, std::string why, std::string& err) {
    std::string logs = rt_.logs(news_[k], kFailureLogLines);
    std::string ignored;
    for (const auto& i : news_) rt_.remove(i, ignored);
    const bool one = news_.size() == 1 && olds_.size() <= 1;
    err = why + "; removed " + where_all(news_) + ", " +
          (olds_.empty() && old_slots_.empty() ? "nothing was serving"
           : one                               ? "the old instance keeps serving"
                                               : "the old instances keep serving") +
          (logs.empty() ? std::string("; it logged nothing") : "\n--- last log lines of the new instance ---\n" + logs);
    news_.clear();
    return false;
  }

  bool switch_traffic(std::string& detail, std::string& err) {
    std::vector<std::string> shown;
    for (size_t k = 0; k < news_.size(); ++k) {
      const Instance& n = news_[k];
      if (!router_->set_addr(svc_.backend, new_slots_[k], n.host, n.port, err) ||
          !router_->set_state(svc_.backend, new_slots_[k], SlotState::Ready, err)) {
        // The old servers are still ready: the new ones may go back to maint.
        std::string ignored;
        for (size_t j = 0; j <= k; ++j) router_->set_state(svc_.backend, new_slots_[j], SlotState::Maint, ignored);
        for (const auto& i : news_) rt_.remove(i, ignored);
        err += olds_.size() > 1 ? "; removed the new instances, the old ones keep serving"
                                : "; removed the new instance, the old one keeps serving";
        return false;
      }
      shown.push_back(svc_.backend + "/" + new_slots_[k] + " -> " + n.host + ":" + std::to_string(n.port));
    }
    detail = join(shown, ", ") + " ready";
    return true;
  }

  bool drain_old(std::string& detail, std::string& err) {
    if (old_slots_.empty()) {
      detail = "nothing to drain";
      return true;
    }
    return drain_slots(old_slots_, detail, err);
  }

  bool stop_old(std::string& detail, std::string& err) {
    if (svc_.proxied) {
      // The new slots are ready (switch): the old ones are not the only ones serving.
      for (const auto& s : old_slots_)
        if (!router_->shutdown_sessions(svc_.backend, s, err) ||
            !router_->set_state(svc_.backend, s, SlotState::Maint, err))
          return false;
    }
    if (olds_.empty()) {
      detail = old_slots_.empty() ? "nothing to stop" : svc_.backend + "/" + join(old_slots_) + " in maint";
      return true;
    }
    // Workers get the drain timeout to finish their current job after SIGTERM.
    Millis grace = svc_.proxied ? svc_.stop_timeout : svc_.drain_timeout;
    if (!stop_all(olds_, grace, err)) return false;
    detail = "stopped " + where_all(olds_);
    return true;
  }

  bool record(std::string& detail, std::string& err) {
    ServiceState& st = state_.services[svc_.name];
    st.instances = ids(news_);
    st.instance = st.instances.empty() ? "" : st.instances.front();
    st.release = release_;
    st.specs[release_] = spec_;
    state_.journal.reset();
    if (!save_deploy_state(req_.config->state_dir, state_, err)) return false;
    detail = svc_.name + " runs release " + release_ +
             (news_.size() > 1 ? " (" + std::to_string(news_.size()) + " instances)" : "");
    return true;
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
  std::vector<Instance> olds_, news_;
  std::vector<std::string> old_slots_, new_slots_;
  std::string served_before_;
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
// (same health gate and drain), newest first: the release recorded for it, else the one that served
// when this deploy began (a first deploy killed before its record left it serving, unrecorded).
// A service nothing served before is retired (retire_new). Returns what it did, for the error
// message.
std::string undo_swapped(const DeployRequest& req, const std::vector<const ServiceConfig*>& swapped,
                         const DeployState& before, const std::map<std::string, std::string>& served_before,
                         Runtime& runtime, Router* router, DeployState& state) {
  std::string out;
  for (auto it = swapped.rbegin(); it != swapped.rend(); ++it) {
    const ServiceConfig& svc = **it;
    std::string e;
    auto prev = before.services.find(svc.name);
    std::string rel = prev != before.services.end() ? prev->second.release : "";
    if (auto s = served_before.find(svc.name); rel.empty() && s != served_before.end()) rel = s->second;
    if (rel.empty()) {
      ServiceDeploy sd(req, svc, req.release, config_spec(svc, req.release), runtime, router, state, "undo:");
      out += sd.retire_new(e)
                 ? "; " + svc.name + " served nothing before this deploy: its new instances were " +
                       "stopped after their requests in flight (or jobs) finished; it serves nothing again"
                 : "; could not remove the new instance of " + svc.name + ": " + e;
      continue;
    }
    const ReleaseSpec* spec = nullptr;
    if (prev != before.services.end())
      if (auto f = prev->second.specs.find(rel); f != prev->second.specs.end()) spec = &f->second;
    ServiceDeploy sd(req, svc, rel, spec ? *spec : config_spec(svc, rel), runtime, router, state, "undo:");
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
  std::map<std::string, std::string> served_before;  // service -> release serving when this deploy began
  auto fail = [&](std::string why) {
    why += undo_swapped(req, swapped, before, served_before, runtime, router, state);
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
    if (!sd.served_before().empty()) served_before[svc.name] = sd.served_before();
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
