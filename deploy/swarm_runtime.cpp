#include "deploy/swarm_runtime.h"

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "deploy/http.h"
#include "deploy/log_tail.h"

namespace pgstage::deploy {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// Swarm service names are DNS labels: letters, digits and dashes.
std::string service_name_part(const std::string& s) {
  std::string out;
  for (char c : s) out += (isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '-';
  return out.substr(0, 40);
}

// A service's labels (Spec.Labels).
std::string labels_of(const json& j, std::string_view key) {
  if (!j.contains("Spec") || !j["Spec"].contains("Labels") || !j["Spec"]["Labels"].is_object()) return "";
  return j["Spec"]["Labels"].value(std::string(key), "");
}

// A task's labels (its container's, Spec.ContainerSpec.Labels).
std::string task_label(const json& t, std::string_view key) {
  if (!t.contains("Spec") || !t["Spec"].contains("ContainerSpec")) return "";
  const json& c = t["Spec"]["ContainerSpec"];
  if (!c.contains("Labels") || !c["Labels"].is_object()) return "";
  return c["Labels"].value(std::string(key), "");
}

// Task states on the way to running (the engine's order): not failed yet.
bool on_the_way(const std::string& s) {
  for (const char* x : {"new", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running"})
    if (s == x) return true;
  return false;
}

}  // namespace

SwarmRuntime::SwarmRuntime(std::string socket) : DockerRuntime(std::move(socket), "host", "127.0.0.1") {}

bool SwarmRuntime::get_json(const std::string& path, long& status, std::string& body, std::string& err) {
  return call("GET", path, "", kRuntimeRequestTimeout, status, body, err);
}

bool SwarmRuntime::node_addr(const std::string& node_id, std::string& out, std::string& err) {
  if (auto it = node_addrs_.find(node_id); it != node_addrs_.end()) {
    out = it->second;
    return true;
  }
  long status = 0;
  std::string body;
  if (!get_json("/nodes/" + node_id, status, body, err)) return false;
  if (status != 200) {
    err = "inspecting Swarm node " + node_id + " failed (HTTP " + std::to_string(status) +
          "): " + docker_api_message(body);
    return false;
  }
  try {
    out = json::parse(body).at("Status").value("Addr", "");
  } catch (const std::exception& e) {
    err = std::string("inspecting Swarm node: unexpected response: ") + e.what();
    return false;
  }
  if (out.empty() || out == "0.0.0.0") out = "127.0.0.1";
  node_addrs_[node_id] = out;
  return true;
}

// The tasks of a Swarm service that should run (desired state running), as instances. A task
// whose port is not known yet has port 0. `last_error` gets the latest task error the engine gave.
bool SwarmRuntime::tasks_of(const std::string& service_id, std::vector<Instance>& out, std::string& last_error,
                            std::string& err, std::vector<bool>* running) {
  out.clear();
  if (running) running->clear();
  json filters = {{"service", {service_id}}};
  long status = 0;
  std::string body;
  if (!get_json("/tasks?filters=" + url_encode(filters.dump()), status, body, err)) return false;
  if (status != 200) {
    err = "listing Swarm tasks failed (HTTP " + std::to_string(status) + "): " + docker_api_message(body);
    return false;
  }
  try {
    std::vector<std::pair<std::string, std::pair<Instance, bool>>> found;
    for (const auto& t : json::parse(body)) {
      const json& st = t.at("Status");
      if (st.contains("Err") && st["Err"].is_string()) last_error = st["Err"].get<std::string>();
      if (t.value("DesiredState", "") != "running") continue;
      Instance i;
      i.id = t.value("ID", "");
      i.group = service_id;
      i.service = task_label(t, kLabelService);
      i.release = task_label(t, kLabelRelease);
      const bool is_running = st.value("State", "") == "running";
      if (st.value("State", "") == "running" && st.contains("PortStatus") && st["PortStatus"].contains("Ports"))
        for (const auto& p : st["PortStatus"]["Ports"])
          if (p.value("PublishMode", "") == "host" && p.value("PublishedPort", 0) > 0) {
            i.port = p["PublishedPort"].get<int>();
            break;
          }
      std::string node = t.value("NodeID", "");
      if (!node.empty() && !node_addr(node, i.host, err)) return false;
      found.push_back({t.value("CreatedAt", ""), {i, is_running}});
    }
    std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [_, ir] : found) {
      out.push_back(std::move(ir.first));
      if (running) running->push_back(ir.second);
    }
  } catch (const std::exception& e) {
    err = std::string("listing Swarm tasks: unexpected response: ") + e.what();
    return false;
  }
  return true;
}

bool SwarmRuntime::start(const InstanceSpec& spec, Instance& out, std::string& err) {
  std::vector<Instance> v;
  if (!start_many(spec, 1, kDefaultDeployTimeout, v, err)) return false;
  out = v.front();
  return true;
}

bool SwarmRuntime::start_many(const InstanceSpec& spec, int n, Millis timeout, std::vector<Instance>& out,
                              std::string& err) {
  out.clear();
  auto deadline = Clock::now() + timeout;
  json labels = {{std::string(kLabelManaged), "true"},
                 {std::string(kLabelService), spec.service},
                 {std::string(kLabelRelease), spec.release}};
  json env = json::array();
  for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
  if (spec.container_port > 0) env.push_back("PORT=" + std::to_string(spec.container_port));
  json container = {{"Image", spec.image}, {"Env", env}, {"Labels", labels}};
  if (spec.stop_grace.count() > 0)
    container["StopGracePeriod"] = static_cast<long long>(spec.stop_grace.count()) * 1000000LL;
  json task = {{"ContainerSpec", container}, {"RestartPolicy", {{"Condition", "on-failure"}, {"Delay", 1000000000LL}}}};
  if (!spec.placement.empty()) task["Placement"] = {{"Constraints", spec.placement}};
  json body = {{"Name", "pgstage-" + service_name_part(spec.service) + "-" + service_name_part(spec.release) + "-" + random_suffix()},
               {"Labels", labels},
               {"TaskTemplate", task},
               {"Mode", {{"Replicated", {{"Replicas", n}}}}}};
  if (spec.container_port > 0)
    body["EndpointSpec"] = {
        {"Ports",
         {{{"Protocol", "tcp"}, {"TargetPort", spec.container_port}, {"PublishedPort", 0}, {"PublishMode", "host"}}}}};
  long status = 0;
  std::string resp;
  if (!call("POST", "/services/create", body.dump(), kRuntimeRequestTimeout, status, resp, err)) return false;
  if (status == 503) {
    err = "this docker engine is not a Swarm manager (" + docker_api_message(resp) + "); run `docker swarm init` first";
    return false;
  }
  if (status != 201) {
    err = "creating Swarm service for " + spec.service + " failed (HTTP " + std::to_string(status) +
          "): " + docker_api_message(resp);
    return false;
  }
  std::string id;
  try {
    id = json::parse(resp).at("ID").get<std::string>();
  } catch (const std::exception&) {
    err = "creating Swarm service: unexpected response: " + resp.substr(0, 200);
    return false;
  }
  // N running tasks, each with its published port (a proxied service).
  std::string last_error;
  std::vector<Instance> tasks;
  std::vector<bool> running;
  int ready = 0;
  while (true) {
    if (!tasks_of(id, tasks, last_error, err, &running)) break;
    auto is_ready = [&](size_t k) { return running[k] && (spec.container_port == 0 || tasks[k].port > 0); };
    ready = 0;
    for (size_t k = 0; k < tasks.size(); ++k) ready += is_ready(k);
    if (ready >= n) {
      for (size_t k = 0; k < tasks.size(); ++k)
        if (is_ready(k) && static_cast<int>(out.size()) < n) out.push_back(tasks[k]);
      return true;
    }
    if (Clock::now() >= deadline) {
      err = std::to_string(ready) + " of " + std::to_string(n) + " Swarm tasks running within the deploy timeout" +
            (last_error.empty() ? "" : " (the engine says: " + last_error + ")");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::string ignored;
  Instance svc;
  svc.id = id;
  svc.group = id;
  remove(svc, ignored);
  err += "; removed Swarm service " + id.substr(0, 12);
  return false;
}

bool SwarmRuntime::state(const Instance& inst, InstanceState& out, std::string& err) {
  long status = 0;
  std::string body;
  if (!get_json("/tasks/" + inst.id, status, body, err)) return false;
  if (status == 404) {
    out = InstanceState::Missing;
    return true;
  }
  if (status != 200) {
    err = "inspecting Swarm task " + inst.id + " failed (HTTP " + std::to_string(status) +
          "): " + docker_api_message(body);
    return false;
  }
  try {
    auto j = json::parse(body);
    out = j.value("DesiredState", "") == "running" && on_the_way(j.at("Status").value("State", ""))
              ? InstanceState::Running
              : InstanceState::Exited;
  } catch (const std::exception& e) {
    err = std::string("inspecting Swarm task: unexpected response: ") + e.what();
    return false;
  }
  return true;
}

bool SwarmRuntime::remove(const Instance& inst, std::string& err) {
  const std::string& svc = inst.group.empty() ? inst.id : inst.group;
  long status = 0;
  std::string resp;
  if (!call("DELETE", "/services/" + svc, "", kRuntimeRequestTimeout, status, resp, err)) return false;
  if (status == 200 || status == 404) return true;
  err = "removing Swarm service " + svc.substr(0, 12) + " failed (HTTP " + std::to_string(status) +
        "): " + docker_api_message(resp);
  return false;
}

bool SwarmRuntime::stop(const Instance& inst, Millis timeout, std::string& err) {
  const std::string svc = inst.group.empty() ? inst.id : inst.group;
  // Scale the service to 0 first: its tasks get SIGTERM (SIGKILL after the stop grace period)
  // and stay listed until their containers ended, so we can wait for that on every node. Only
  // then the service is removed.
  long status = 0;
  std::string body;
  if (!get_json("/services/" + svc, status, body, err)) return false;
  if (status == 404) return true;
  if (status != 200) {
    err = "inspecting Swarm service " + svc.substr(0, 12) + " failed (HTTP " + std::to_string(status) +
          "): " + docker_api_message(body);
    return false;
  }
  try {
    auto j = json::parse(body);
    long long version = j.at("Version").at("Index").get<long long>();
    json spec = j.at("Spec");
    if (spec.contains("Mode") && spec["Mode"].contains("Replicated") &&
        spec["Mode"]["Replicated"].value("Replicas", 0) > 0) {
      spec["Mode"]["Replicated"]["Replicas"] = 0;
      std::string resp;
      if (!call("POST", "/services/" + svc + "/update?version=" + std::to_string(version), spec.dump(),
                kRuntimeRequestTimeout, status, resp, err))
        return false;
      if (status != 200 && status != 404) {
        err = "scaling Swarm service " + svc.substr(0, 12) + " to 0 failed (HTTP " + std::to_string(status) +
              "): " + docker_api_message(resp);
        return false;
      }
    }
  } catch (const std::exception& e) {
    err = std::string("inspecting Swarm service: unexpected response: ") + e.what();
    return false;
  }
  // A task on a node the manager has marked down is not waited for: no agent there can stop it.
  // Its node's agent stops it when the node returns (the service is gone by then).
  auto deadline = Clock::now() + timeout + std::chrono::seconds(15);
  bool running = true, listed = true;
  while (Clock::now() < deadline) {
    if (!tasks_left(svc, running, listed, err)) return false;
    if (!running) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (running) {
    err = "the tasks of Swarm service " + svc.substr(0, 12) + " did not stop within " +
          std::to_string(timeout.count() / 1000 + 15) + "s";
    return false;
  }
  // Swarm's task reaper deletes the stopped tasks of the removed slots shortly after they end. A
  // service removal that lists those tasks while the reaper deletes them can crash the engine
  // (swarmkit 20.10: nil pointer in SetServiceTasksRemove), so wait (bounded) until none is listed.
  auto settled = Clock::now() + std::chrono::seconds(10);
  while (listed && Clock::now() < settled) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (!tasks_left(svc, running, listed, err)) return false;
  }
  return remove(inst, err);
}

bool SwarmRuntime::unreachable_nodes(std::set<std::string>& out, std::string& err) {
  out.clear();
  long status = 0;
  std::string body;
  if (!get_json("/nodes", status, body, err)) return false;
  if (status != 200) {
    err = "listing Swarm nodes failed (HTTP " + std::to_string(status) + "): " + docker_api_message(body);
    return false;
  }
  try {
    for (const auto& n : json::parse(body)) {
      std::string st = n.at("Status").value("State", "");
      if (st == "down" || st == "disconnected") out.insert(n.value("ID", ""));
    }
  } catch (const std::exception& e) {
    err = std::string("listing Swarm nodes: unexpected response: ") + e.what();
    return false;
  }
  return true;
}

bool SwarmRuntime::tasks_left(const std::string& service_id, bool& running, bool& listed, std::string& err) {
  running = listed = false;
  std::set<std::string> unreachable;
  if (!unreachable_nodes(unreachable, err)) return false;
  json filters = {{"service", {service_id}}};
  long status = 0;
  std::string body;
  if (!get_json("/tasks?filters=" + url_encode(filters.dump()), status, body, err)) return false;
  if (status != 200) return true;  // the service is gone (or the engine cannot tell): nothing to wait for
  try {
    for (const auto& t : json::parse(body)) {
      if (unreachable.count(t.value("NodeID", ""))) continue;
      listed = true;
      running = running || on_the_way(t.at("Status").value("State", ""));
    }
  } catch (const std::exception& e) {
    err = std::string("listing Swarm tasks: unexpected response: ") + e.what();
    return false;
  }
  return true;
}

bool SwarmRuntime::running_in_group(const std::string& group, std::vector<Instance>& out, std::string& err) {
  out.clear();
  std::vector<Instance> tasks;
  std::vector<bool> running;
  std::string last_error;
  if (!tasks_of(group, tasks, last_error, err, &running)) return false;
  for (size_t k = 0; k < tasks.size(); ++k)
    if (running[k]) out.push_back(tasks[k]);
  return true;
}

std::string SwarmRuntime::logs(const Instance& inst, int lines) { return logs_at("/tasks/" + inst.id + "/logs", lines); }

bool SwarmRuntime::list(const std::string& service, std::vector<Instance>& out, std::string& err) {
  out.clear();
  json filters = {{"label", {std::string(kLabelManaged) + "=true"}}};
  if (!service.empty()) filters["label"].push_back(std::string(kLabelService) + "=" + service);
  long status = 0;
  std::string resp;
  if (!get_json("/services?filters=" + url_encode(filters.dump()), status, resp, err)) return false;
  if (status == 503) {
    err = "this docker engine is not a Swarm manager (" + docker_api_message(resp) + "); run `docker swarm init` first";
    return false;
  }
  if (status != 200) {
    err = "listing Swarm services failed (HTTP " + std::to_string(status) + "): " + docker_api_message(resp);
    return false;
  }
  std::vector<std::pair<std::string, std::string>> services;  // CreatedAt, ID
  try {
    for (const auto& s : json::parse(resp)) {
      // Filter again: never act on a service without our labels, whatever the engine returned.
      if (labels_of(s, kLabelManaged) != "true") continue;
      std::string name = labels_of(s, kLabelService);
      if (name.empty() || (!service.empty() && name != service)) continue;
      services.emplace_back(s.value("CreatedAt", ""), s.value("ID", ""));
    }
  } catch (const std::exception& e) {
    err = std::string("listing Swarm services: unexpected response: ") + e.what();
    return false;
  }
  std::stable_sort(services.begin(), services.end());
  long order = 0;
  for (const auto& [_, id] : services) {
    std::vector<Instance> tasks;
    std::string ignored;
    if (!tasks_of(id, tasks, ignored, err)) return false;
    if (tasks.empty()) {
      // A service with no task to run (all failed, or scaled away): listed so it gets removed.
      Instance i;
      i.id = id;
      i.group = id;
      i.service = service;
      tasks.push_back(i);
    }
    for (auto& t : tasks) {
      t.created = ++order;
      out.push_back(std::move(t));
    }
  }
  return true;
}

}  // namespace pgstage::deploy
