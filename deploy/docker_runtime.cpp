#include "deploy/docker_runtime.h"

#include <nlohmann/json.hpp>

#include "deploy/http.h"
#include "deploy/log_tail.h"
#include "proc/port.h"

namespace pgstage::deploy {
namespace {

std::string api_message(const std::string& body) {
  try {
    auto j = nlohmann::json::parse(body);
    if (j.is_object() && j.contains("message")) return j["message"].get<std::string>();
  } catch (const std::exception&) {
  }
  return body.substr(0, 200);
}

std::string container_name_part(const std::string& s) {
  std::string out;
  for (char c : s) out += (isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return out;
}

// Docker multiplexes stdout/stderr of a container without a TTY: 8-byte frame headers.
std::string demux(const std::string& raw) {
  std::string out;
  size_t i = 0;
  while (i + 8 <= raw.size()) {
    unsigned char t = static_cast<unsigned char>(raw[i]);
    if (t > 2) return raw;  // not multiplexed (TTY)
    uint32_t len = (static_cast<unsigned char>(raw[i + 4]) << 24) | (static_cast<unsigned char>(raw[i + 5]) << 16) |
                   (static_cast<unsigned char>(raw[i + 6]) << 8) | static_cast<unsigned char>(raw[i + 7]);
    out.append(raw, i + 8, len);
    i += 8 + len;
  }
  return out;
}

Instance from_labels(const nlohmann::json& c, const std::string& host) {
  Instance i;
  i.id = c.value("Id", "");
  const auto& labels = c.contains("Labels") && c["Labels"].is_object() ? c["Labels"] : nlohmann::json::object();
  i.service = labels.value(std::string(kLabelService), "");
  i.release = labels.value(std::string(kLabelRelease), "");
  i.port = std::atoi(labels.value(std::string(kLabelPort), "0").c_str());
  i.host = host;
  if (c.contains("Created") && c["Created"].is_number()) i.created = c["Created"].get<long>();
  return i;
}

}  // namespace

std::string docker_api_message(const std::string& body) { return api_message(body); }

DockerRuntime::DockerRuntime(std::string socket, std::string network, std::string host)
    : socket_(std::move(socket)), network_(std::move(network)), host_(std::move(host)) {}

bool DockerRuntime::call(const std::string& method, const std::string& path, const std::string& body, Millis timeout,
                         long& status, std::string& resp, std::string& err) {
  HttpRequest req;
  req.method = method;
  req.url = "http://localhost" + path;
  req.unix_socket = socket_;
  req.body = body;
  req.timeout = timeout;
  HttpResponse r;
  if (!http_request(req, r, err)) {
    err = "container API at " + socket_ + " (" + method + " " + path.substr(0, path.find('?')) + "): " + err;
    return false;
  }
  status = r.status;
  resp = std::move(r.body);
  return true;
}

bool DockerRuntime::start(const InstanceSpec& spec, Instance& out, std::string& err) {
  int port = 0;
  if (!proc::free_port(host_, port, err)) return false;
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
  nlohmann::json labels = {{std::string(kLabelManaged), "true"},
                           {std::string(kLabelService), spec.service},
                           {std::string(kLabelRelease), spec.release},
                           {std::string(kLabelPort), std::to_string(port)}};
  nlohmann::json body = {{"Image", spec.image}, {"Labels", labels}};
  if (network_ == "host") {
    env.push_back("PORT=" + std::to_string(port));
    body["HostConfig"] = {{"NetworkMode", "host"}};
  } else {
    std::string key = std::to_string(spec.container_port) + "/tcp";
    env.push_back("PORT=" + std::to_string(spec.container_port));
    body["ExposedPorts"] = {{key, nlohmann::json::object()}};
    body["HostConfig"] = {{"PortBindings", {{key, {{{"HostIp", host_}, {"HostPort", std::to_string(port)}}}}}}};
  }
  body["Env"] = env;
  std::string name = "pgstage-" + container_name_part(spec.service) + "-" + container_name_part(spec.release) + "-" + random_suffix();
  long status = 0;
  std::string resp;
  if (!call("POST", "/containers/create?name=" + url_encode(name), body.dump(), kRuntimeRequestTimeout, status, resp,
            err))
    return false;
  if (status == 404) {
    err = "image " + spec.image + " not found (" + api_message(resp) + "); build or pull it first";
    return false;
  }
  if (status != 201) {
    err = "creating container for " + spec.service + " failed (HTTP " + std::to_string(status) +
          "): " + api_message(resp);
    return false;
  }
  std::string id;
  try {
    id = nlohmann::json::parse(resp).at("Id").get<std::string>();
  } catch (const std::exception&) {
    err = "creating container: unexpected response: " + resp.substr(0, 200);
    return false;
  }
  out = Instance{id, spec.service, spec.release, host_, port, 0};
  if (!call("POST", "/containers/" + id + "/start", "", kRuntimeRequestTimeout, status, resp, err) ||
      (status != 204 && status != 304)) {
    if (err.empty())
      err = "starting container " + id.substr(0, 12) + " failed (HTTP " + std::to_string(status) +
            "): " + api_message(resp);
    std::string ignored;
    remove(out, ignored);
    return false;
  }
  return true;
}

bool DockerRuntime::state(const Instance& inst, InstanceState& out, std::string& err) {
  long status = 0;
  std::string resp;
  if (!call("GET", "/containers/" + inst.id + "/json", "", kRuntimeRequestTimeout, status, resp, err)) return false;
  if (status == 404) {
    out = InstanceState::Missing;
    return true;
  }
  if (status != 200) {
    err = "inspecting container " + inst.id.substr(0, 12) + " failed (HTTP " + std::to_string(status) + ")";
    return false;
  }
  try {
    auto j = nlohmann::json::parse(resp);
    out = j.at("State").at("Running").get<bool>() ? InstanceState::Running : InstanceState::Exited;
  } catch (const std::exception& e) {
    err = std::string("inspecting container: unexpected response: ") + e.what();
    return false;
  }
  return true;
}

bool DockerRuntime::stop(const Instance& inst, Millis timeout, std::string& err) {
  long secs = std::max<long>(0, static_cast<long>((timeout.count() + 999) / 1000));
  long status = 0;
  std::string resp;
  // The engine sends SIGTERM, waits `t` seconds, then SIGKILL.
  if (!call("POST", "/containers/" + inst.id + "/stop?t=" + std::to_string(secs), "",
            Millis(secs * 1000) + kRuntimeRequestTimeout, status, resp, err))
    return false;
  if (status == 204 || status == 304 || status == 404) return true;
  err = "stopping container " + inst.id.substr(0, 12) + " failed (HTTP " + std::to_string(status) +
        "): " + api_message(resp);
  return false;
}

bool DockerRuntime::remove(const Instance& inst, std::string& err) {
  long status = 0;
  std::string resp;
  if (!call("DELETE", "/containers/" + inst.id + "?force=1", "", kRuntimeRequestTimeout, status, resp, err))
    return false;
  if (status == 204 || status == 404) return true;
  err = "removing container " + inst.id.substr(0, 12) + " failed (HTTP " + std::to_string(status) +
        "): " + api_message(resp);
  return false;
}

std::string DockerRuntime::logs_at(const std::string& path, int lines) {
  long status = 0;
  std::string resp, err;
  if (!call("GET", path + "?stdout=1&stderr=1&tail=" + std::to_string(lines), "", kRuntimeRequestTimeout, status,
            resp, err) ||
      status != 200)
    return "";
  return last_lines(demux(resp), lines);
}

std::string DockerRuntime::logs(const Instance& inst, int lines) {
  return logs_at("/containers/" + inst.id + "/logs", lines);
}

bool DockerRuntime::list(const std::string& service, std::vector<Instance>& out, std::string& err) {
  out.clear();
  nlohmann::json filters = {{"label", {std::string(kLabelManaged) + "=true"}}};
  if (!service.empty()) filters["label"].push_back(std::string(kLabelService) + "=" + service);
  long status = 0;
  std::string resp;
  if (!call("GET", "/containers/json?all=1&filters=" + url_encode(filters.dump()), "", kRuntimeRequestTimeout, status,
            resp, err))
    return false;
  if (status != 200) {
    err = "listing containers failed (HTTP " + std::to_string(status) + "): " + api_message(resp);
    return false;
  }
  try {
    for (const auto& c : nlohmann::json::parse(resp)) {
      if (!c.contains("Labels") || !c["Labels"].is_object() ||
          c["Labels"].value(std::string(kLabelManaged), "") != "true")
        continue;
      // A Swarm task's container carries its service's labels too: it is the swarm runtime's.
      if (c["Labels"].contains("com.docker.swarm.task.id")) continue;
      Instance i = from_labels(c, host_);
      // Filter again: never act on a container without our labels, whatever the engine returned.
      if (i.id.empty() || i.service.empty() || (!service.empty() && i.service != service)) continue;
      out.push_back(std::move(i));
    }
  } catch (const std::exception& e) {
    err = std::string("listing containers: unexpected response: ") + e.what();
    return false;
  }
  std::stable_sort(out.begin(), out.end(), [](const Instance& a, const Instance& b) { return a.created < b.created; });
  return true;
}

}  // namespace pgstage::deploy
