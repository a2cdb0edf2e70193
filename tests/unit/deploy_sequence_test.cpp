// The deploy sequence on in-memory fakes: what it does to the runtime and the router, in order.
#include <doctest/doctest.h>

#include <algorithm>
#include <mutex>

#include <unistd.h>

#include <filesystem>

#include "deploy/deploy.h"

namespace unit_deploy_sequence_test {

using namespace pgstage::deploy;

namespace {

struct FakeRuntime : Runtime {
  // stop and remove run on one thread per old instance (deploy stops them together).
  std::mutex m;
  std::vector<Instance> live;
  std::vector<std::string> calls;
  int next = 1;
  std::string name() const override { return "fake"; }
  bool start(const InstanceSpec& s, Instance& out, std::string&) override {
    std::lock_guard lock(m);
    out = Instance{"i" + std::to_string(next), s.service, s.release, "127.0.0.1", next, next};
    ++next;
    live.push_back(out);
    calls.push_back("start " + out.id + " " + s.release);
    return true;
  }
  bool state(const Instance& i, InstanceState& out, std::string&) override {
    std::lock_guard lock(m);
    out = InstanceState::Missing;
    for (const auto& l : live)
      if (l.id == i.id) out = InstanceState::Running;
    return true;
  }
  bool stop(const Instance& i, Millis, std::string&) override {
    std::lock_guard lock(m);
    calls.push_back("stop " + i.id);
    return true;
  }
  bool remove(const Instance& i, std::string&) override {
    std::lock_guard lock(m);
    calls.push_back("remove " + i.id);
    std::erase_if(live, [&](const Instance& l) { return l.id == i.id; });
    return true;
  }
  std::string logs(const Instance&, int) override { return "booting\nhealthz: 503"; }
  bool list(const std::string& service, std::vector<Instance>& out, std::string&) override {
    std::lock_guard lock(m);
    out.clear();
    for (const auto& l : live)
      if (l.service == service) out.push_back(l);
    return true;
  }
};

struct FakeRouter : Router {
  std::vector<Slot> s = {{"blue", "127.0.0.1", 1, SlotState::Maint, 0}, {"green", "127.0.0.1", 1, SlotState::Maint, 0}};
  std::vector<std::string> calls;
  Slot* find(const std::string& n) {
    for (auto& x : s)
      if (x.server == n) return &x;
    return nullptr;
  }
  bool slots(const std::string&, std::vector<Slot>& out, std::string&) override {
    out = s;
    return true;
  }
  bool set_addr(const std::string&, const std::string& srv, const std::string& a, int p, std::string&) override {
    find(srv)->addr = a;
    find(srv)->port = p;
    calls.push_back("addr " + srv + " " + std::to_string(p));
    return true;
  }
  bool set_state(const std::string&, const std::string& srv, SlotState st, std::string&) override {
    find(srv)->state = st;
    calls.push_back(std::string("state ") + srv + " " + slot_state_name(st));
    return true;
  }
  bool sessions(const std::string&, const std::string&, int& out, std::string&) override {
    out = 0;
    return true;
  }
  bool shutdown_sessions(const std::string&, const std::string& srv, std::string&) override {
    calls.push_back("shutdown " + srv);
    return true;
  }
};

DeployConfig config(bool proxied) {
  DeployConfig c;
  c.state_dir = "/tmp/pgstage-unit-deploy-" + std::to_string(getpid()) + (proxied ? "-p" : "-w");
  ServiceConfig s;
  s.name = "web";
  s.proxied = proxied;
  s.backend = "app";
  s.deploy_timeout = Millis(300);
  s.health_interval = Millis(20);
  if (!proxied) {
    s.health_path.clear();
    s.min_running = Millis(1);
  }
  c.services.push_back(s);
  return c;
}

}  // namespace

TEST_CASE("an instance that never answers its health check is removed; the router is not touched") {
  DeployConfig cfg = config(true);
  FakeRuntime rt;
  FakeRouter router;
  // Release v1 serves from blue.
  Instance v1;
  std::string err;
  rt.start(InstanceSpec{"web", "v1"}, v1, err);
  router.s[0] = Slot{"blue", v1.host, v1.port, SlotState::Ready, 0};
  rt.calls.clear();

  DeployRequest req{&cfg, "v2"};
  CHECK_FALSE(deploy(req, rt, &router, err));
  CHECK(err.find("web: wait_healthy: not healthy within the deploy timeout (0.3s)") == 0);
  CHECK(err.find("the old instance keeps serving") != std::string::npos);
  CHECK(err.find("healthz: 503") != std::string::npos);  // its last log lines
  CHECK(rt.calls == std::vector<std::string>{"start i2 v2", "remove i2"});
  CHECK(router.calls.empty());
  REQUIRE(rt.live.size() == 1);
  CHECK(rt.live[0].id == v1.id);
}

TEST_CASE("a failing pre-deploy hook stops everything before an instance starts") {
  DeployConfig cfg = config(true);
  FakeRuntime rt;
  FakeRouter router;
  DeployRequest req{&cfg, "v2"};
  req.predeploy = [](std::string& e) {
    e = "migration 002 failed";
    return false;
  };
  std::string err;
  CHECK_FALSE(deploy(req, rt, &router, err));
  CHECK(err == "run_predeploy: migration 002 failed (no instance was touched)");
  CHECK(rt.calls.empty());
  CHECK(router.calls.empty());
}

TEST_CASE("a worker is replaced: new one running first, then the old one stopped") {
  DeployConfig cfg = config(false);
  FakeRuntime rt;
  std::string err;
  std::vector<std::string> steps;
  DeployRequest req{&cfg, "v1"};
  req.on_step = [&](const StepReport& r) { steps.push_back(r.step); };
  bool recorded = false;
  req.record = [&](std::string&) { return recorded = true; };
  REQUIRE_MESSAGE(deploy(req, rt, nullptr, err), err);
  req.release = "v2";
  steps.clear();
  rt.calls.clear();
  REQUIRE_MESSAGE(deploy(req, rt, nullptr, err), err);
  CHECK(recorded);
  CHECK(steps == std::vector<std::string>{"recover", "start_new", "wait_healthy", "stop_old", "record", "record"});
  CHECK(rt.calls == std::vector<std::string>{"start i2 v2", "stop i1", "remove i1"});
  std::filesystem::remove_all(cfg.state_dir);
}

namespace {

// A router that fails the test if a state change ever leaves the backend with no ready slot
// while one was ready before.
struct WatchfulRouter : FakeRouter {
  int ready() const {
    int n = 0;
    for (const auto& x : s) n += x.state == SlotState::Ready;
    return n;
  }
  bool set_state(const std::string& b, const std::string& srv, SlotState st, std::string& e) override {
    int before = ready();
    bool ok = FakeRouter::set_state(b, srv, st, e);
    if (before > 0) CHECK_MESSAGE(ready() > 0, "set " << srv << " " << slot_state_name(st) << " left no ready slot");
    return ok;
  }
};

}  // namespace

TEST_CASE("recover after a kill during drain_old: the draining slot is never left alone, no slot goes to maint first") {
  DeployConfig cfg = config(true);
  cfg.services[0].drain_timeout = Millis(50);
  FakeRuntime rt;
  WatchfulRouter router;
  std::string err;
  Instance v1, v2;
  rt.start(InstanceSpec{"web", "v1"}, v1, err);
  rt.start(InstanceSpec{"web", "v2"}, v2, err);
  // Killed in drain_old: blue (v1) drains, green (v2) is ready.
  router.s[0] = Slot{"blue", v1.host, v1.port, SlotState::Drain, 0};
  router.s[1] = Slot{"green", v2.host, v2.port, SlotState::Ready, 0};
  rt.calls.clear();
  DeployRequest req{&cfg, "v3"};
  std::vector<StepReport> steps;
  req.on_step = [&](const StepReport& r) { steps.push_back(r); };
  // v3 never answers its health probe (no server behind the fake port), so the deploy fails
  // after recover; what matters here is what recover did to the router.
  CHECK_FALSE(deploy(req, rt, &router, err));
  REQUIRE_FALSE(steps.empty());
  CHECK(steps[0].step == "recover");
  // Neither v1 nor v2 answers a probe here: recover keeps the ready slot (green), drains blue and
  // only then sets it to maint.
  CHECK(router.calls == std::vector<std::string>{"state blue drain", "shutdown blue", "state blue maint"});
  CHECK(router.ready() == 1);
  std::filesystem::remove_all(cfg.state_dir);
}

TEST_CASE("recover: a slot left alone in drain is set back to ready before anything else") {
  DeployConfig cfg = config(true);
  FakeRuntime rt;
  WatchfulRouter router;
  std::string err;
  Instance v1;
  rt.start(InstanceSpec{"web", "v1"}, v1, err);
  router.s[0] = Slot{"blue", v1.host, v1.port, SlotState::Drain, 0};
  rt.calls.clear();
  DeployRequest req{&cfg, "v2"};
  CHECK_FALSE(deploy(req, rt, &router, err));  // v2 never healthy (fake port)
  REQUIRE_FALSE(router.calls.empty());
  CHECK(router.calls[0] == "state blue ready");
  CHECK(router.ready() == 1);
  // v1 kept serving: only the new instance was removed.
  REQUIRE(rt.live.size() == 1);
  CHECK(rt.live[0].id == v1.id);
  std::filesystem::remove_all(cfg.state_dir);
}

namespace {

// A backend with `n` servers per colour, as `server-template blue n` and `server-template green n`
// create them: blue1..bluen, green1..greenn.
WatchfulRouter templated(int n) {
  WatchfulRouter r;
  r.s.clear();
  for (const char* c : {"blue", "green"})
    for (int i = 1; i <= n; ++i) r.s.push_back(Slot{c + std::to_string(i), "127.0.0.1", 1, SlotState::Maint, 0});
  return r;
}

}  // namespace

TEST_CASE("replicas = 3 workers: three new ones start, then the three old ones stop") {
  DeployConfig cfg = config(false);
  cfg.services[0].replicas = 3;
  FakeRuntime rt;
  std::string err;
  DeployRequest req{&cfg, "v1"};
  REQUIRE_MESSAGE(deploy(req, rt, nullptr, err), err);
  CHECK(rt.live.size() == 3);
  req.release = "v2";
  rt.calls.clear();
  REQUIRE_MESSAGE(deploy(req, rt, nullptr, err), err);
  // The new ones start in order; the old ones are stopped together (any order, each stopped before
  // it is removed).
  REQUIRE(rt.calls.size() == 9);
  CHECK(std::vector<std::string>(rt.calls.begin(), rt.calls.begin() + 3) ==
        std::vector<std::string>{"start i4 v2", "start i5 v2", "start i6 v2"});
  std::vector<std::string> stops(rt.calls.begin() + 3, rt.calls.end());
  for (std::string id : {"i1", "i2", "i3"}) {
    auto stop = std::find(stops.begin(), stops.end(), "stop " + id);
    auto remove = std::find(stops.begin(), stops.end(), "remove " + id);
    CHECK(stop != stops.end());
    CHECK(remove != stops.end());
    CHECK(stop < remove);
  }
  REQUIRE(rt.live.size() == 3);
  for (const auto& i : rt.live) CHECK(i.release == "v2");
  DeployState st;
  REQUIRE(load_deploy_state(cfg.state_dir, st, err));
  CHECK(st.services["web"].instances == std::vector<std::string>{"i4", "i5", "i6"});
  std::filesystem::remove_all(cfg.state_dir);
}

TEST_CASE("replicas = 3: a backend without 3 servers per colour is refused before anything starts") {
  DeployConfig cfg = config(true);
  cfg.services[0].replicas = 3;
  FakeRuntime rt;
  WatchfulRouter router = templated(2);
  std::string err;
  DeployRequest req{&cfg, "v1"};
  CHECK_FALSE(deploy(req, rt, &router, err));
  CHECK(err.find("HAProxy backend app has 2 server(s) named blue<n>, replicas = 3 needs 3 of each colour, e.g. "
                 "`server-template blue 3 127.0.0.1:1 disabled`") != std::string::npos);
  CHECK(rt.calls.empty());
  CHECK(router.calls.empty());
  std::filesystem::remove_all(cfg.state_dir);
}

TEST_CASE("replicas = 3: new instances that never turn healthy are all removed; the old ones keep serving") {
  DeployConfig cfg = config(true);
  cfg.services[0].replicas = 3;
  FakeRuntime rt;
  WatchfulRouter router = templated(3);
  std::string err;
  for (int i = 0; i < 3; ++i) {
    Instance v1;
    rt.start(InstanceSpec{"web", "v1"}, v1, err);
    router.s[i] = Slot{"blue" + std::to_string(i + 1), v1.host, v1.port, SlotState::Ready, 0};
  }
  rt.calls.clear();
  DeployRequest req{&cfg, "v2"};
  CHECK_FALSE(deploy(req, rt, &router, err));
  CHECK(err.find("web: wait_healthy: 0 of 3 new instances healthy, 3 needed") == 0);
  CHECK(err.find("the old instances keep serving") != std::string::npos);
  CHECK(rt.calls ==
        std::vector<std::string>{"start i4 v2", "start i5 v2", "start i6 v2", "remove i4", "remove i5", "remove i6"});
  CHECK(router.calls.empty());
  REQUIRE(rt.live.size() == 3);
  for (const auto& i : rt.live) CHECK(i.release == "v1");
  std::filesystem::remove_all(cfg.state_dir);
}

TEST_CASE("replicas = 3: recover after a kill during drain_old keeps the ready colour, drains the other") {
  DeployConfig cfg = config(true);
  cfg.services[0].replicas = 3;
  cfg.services[0].drain_timeout = Millis(50);
  FakeRuntime rt;
  WatchfulRouter router = templated(3);
  std::string err;
  for (int i = 0; i < 3; ++i) {
    Instance v1, v2;
    rt.start(InstanceSpec{"web", "v1"}, v1, err);
    rt.start(InstanceSpec{"web", "v2"}, v2, err);
    router.s[i] = Slot{"blue" + std::to_string(i + 1), v1.host, v1.port, SlotState::Drain, 0};
    router.s[3 + i] = Slot{"green" + std::to_string(i + 1), v2.host, v2.port, SlotState::Ready, 0};
  }
  rt.calls.clear();
  DeployRequest req{&cfg, "v3"};
  CHECK_FALSE(deploy(req, rt, &router, err));  // v3 never healthy (fake ports)
  CHECK(router.calls == std::vector<std::string>{"state blue1 drain", "state blue2 drain", "state blue3 drain",
                                                 "shutdown blue1", "state blue1 maint", "shutdown blue2",
                                                 "state blue2 maint", "shutdown blue3", "state blue3 maint"});
  CHECK(router.ready() == 3);
  REQUIRE(rt.live.size() == 3);
  for (const auto& i : rt.live) CHECK(i.release == "v2");
  std::filesystem::remove_all(cfg.state_dir);
}

}  // namespace unit_deploy_sequence_test
