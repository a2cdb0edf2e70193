#include "deploy/deploy_state.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace pgstage::deploy {

bool load_deploy_state(const std::string& state_dir, DeployState& out, std::string& err) {
  out = DeployState{};
  std::string path = state_dir + "/deploy-state.json";
  std::ifstream f(path);
  if (!f) return true;
  try {
    nlohmann::json j;
    f >> j;
    for (const auto& [name, s] : j.at("services").items()) {
      ServiceState st{s.value("instance", ""), {}, s.value("release", ""), {}};
      if (s.contains("instances"))
        for (const auto& i : s["instances"]) st.instances.push_back(i.get<std::string>());
      else if (!st.instance.empty())
        st.instances.push_back(st.instance);
      if (s.contains("specs"))
        for (const auto& [rel, spec] : s["specs"].items())
          st.specs[rel] = ReleaseSpec{spec.value("image", ""), spec.value("command", "")};
      out.services[name] = std::move(st);
    }
    if (j.contains("releases"))
      for (const auto& r : j["releases"]) out.releases.push_back(r.get<std::string>());
    if (j.contains("journal") && j["journal"].is_object()) {
      const auto& x = j["journal"];
      out.journal = Journal{x.value("release", ""),      x.value("service", ""),  x.value("step", ""),
                            x.value("new_instance", ""), x.value("new_slot", ""), x.value("old_instance", ""),
                            x.value("old_slot", "")};
    }
  } catch (const std::exception& e) {
    err = path + ": corrupt deploy state (" + e.what() + "); remove it to start over";
    return false;
  }
  return true;
}

bool save_deploy_state(const std::string& state_dir, const DeployState& s, std::string& err) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  nlohmann::json j = {{"version", 1}, {"services", nlohmann::json::object()}};
  for (const auto& [name, st] : s.services) {
    nlohmann::json specs = nlohmann::json::object();
    for (const auto& [rel, spec] : st.specs) specs[rel] = {{"image", spec.image}, {"command", spec.command}};
    j["services"][name] = {
        {"instance", st.instance}, {"instances", st.instances}, {"release", st.release}, {"specs", specs}};
  }
  j["releases"] = s.releases;
  if (s.journal) {
    const Journal& x = *s.journal;
    j["journal"] = {{"release", x.release},           {"service", x.service},   {"step", x.step},
                    {"new_instance", x.new_instance}, {"new_slot", x.new_slot}, {"old_instance", x.old_instance},
                    {"old_slot", x.old_slot}};
  }
  std::string path = state_dir + "/deploy-state.json";
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    f << j.dump(2) << "\n";
    f.flush();
    if (!f) {
      err = "cannot write " + tmp;
      return false;
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    err = "cannot replace " + path + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace pgstage::deploy
