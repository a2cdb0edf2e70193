#include "deploy/deploy_state.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace pgstage::deploy {

bool load_deploy_state(const std::string& state_dir, std::map<std::string, ServiceState>& out, std::string& err) {
  out.clear();
  std::string path = state_dir + "/deploy-state.json";
  std::ifstream f(path);
  if (!f) return true;
  try {
    nlohmann::json j;
    f >> j;
    for (const auto& [name, s] : j.at("services").items())
      out[name] = ServiceState{s.value("instance", ""), s.value("release", "")};
  } catch (const std::exception& e) {
    err = path + ": corrupt deploy state (" + e.what() + "); remove it to start over";
    return false;
  }
  return true;
}

bool save_deploy_state(const std::string& state_dir, const std::map<std::string, ServiceState>& s, std::string& err) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  nlohmann::json j = {{"version", 1}, {"services", nlohmann::json::object()}};
  for (const auto& [name, st] : s) j["services"][name] = {{"instance", st.instance}, {"release", st.release}};
  std::string path = state_dir + "/deploy-state.json";
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    f << j.dump(2) << "\n";
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
