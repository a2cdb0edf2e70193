// <state_dir>/deploy-state.json: the instance and release each service last switched to.
#pragma once

#include <map>
#include <string>

namespace pgstage::deploy {

struct ServiceState {
  std::string instance;
  std::string release;
};

// Missing file: empty map, true. Unreadable or corrupt: false and `err`.
bool load_deploy_state(const std::string& state_dir, std::map<std::string, ServiceState>& out, std::string& err);
// Writes atomically (temp file + rename).
bool save_deploy_state(const std::string& state_dir, const std::map<std::string, ServiceState>& s, std::string& err);

}  // namespace pgstage::deploy
