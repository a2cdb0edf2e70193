// Instances as local processes (development and fast tests): `/bin/sh -c command` in its own
// session, env PORT set to a free port, output to a log file. What pgstage started is recorded
// in <state_dir>/processes/<id>.json; a process counts as ours only while its environment holds
// PGSTAGE_INSTANCE=<id> (so a reused pid is never signalled).
#pragma once

#include "deploy/runtime.h"

namespace pgstage::deploy {

class ProcessRuntime : public Runtime {
 public:
  ProcessRuntime(std::string state_dir, std::string host);
  std::string name() const override { return "process"; }
  bool start(const InstanceSpec& spec, Instance& out, std::string& err) override;
  bool state(const Instance& inst, InstanceState& out, std::string& err) override;
  bool stop(const Instance& inst, Millis timeout, std::string& err) override;
  bool remove(const Instance& inst, std::string& err) override;
  std::string logs(const Instance& inst, int lines) override;
  bool list(const std::string& service, std::vector<Instance>& out, std::string& err) override;

 private:
  std::string dir_;
  std::string host_;
};

}  // namespace pgstage::deploy
