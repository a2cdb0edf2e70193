// <state_dir>/deploy-state.json: what each service last switched to, the image/command of every
// release it ran (for rollback), and the journal of the swap in progress: each step is written
// here before it acts, so the next run knows what a kill -9 interrupted.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pgstage::deploy {

// What an instance of a release was started from ({release} already replaced).
struct ReleaseSpec {
  std::string image;
  std::string command;
};

struct ServiceState {
  std::string instance;                // the first of `instances` (kept for older readers)
  std::vector<std::string> instances;  // every instance of the recorded release
  std::string release;
  std::map<std::string, ReleaseSpec> specs;  // every release this service ran, by name
};

// The step a deploy was about to take (or taking) when it last wrote the state.
struct Journal {
  std::string release, service, step;
  // With replicas > 1 these hold comma-separated lists.
  std::string new_instance, new_slot, old_instance, old_slot;
};

struct DeployState {
  std::map<std::string, ServiceState> services;
  std::vector<std::string>
      releases;                    // releases fully deployed, oldest first (a release appears once, at its last deploy)
  std::optional<Journal> journal;  // set while a deploy runs; cleared when it ends
};

// Missing file: empty state, true. Unreadable or corrupt: false and `err`.
bool load_deploy_state(const std::string& state_dir, DeployState& out, std::string& err);
// Writes atomically (temp file + rename).
bool save_deploy_state(const std::string& state_dir, const DeployState& s, std::string& err);

}  // namespace pgstage::deploy
