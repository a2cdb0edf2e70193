// The proxy in front of a proxied service: a backend with two server slots (blue and green).
// HaproxyRouter drives HAProxy through its runtime API (the admin stats socket).
#pragma once

#include <string>
#include <vector>

#include "deploy/deploy_defaults.h"

namespace pgstage::deploy {

enum class SlotState { Ready, Drain, Maint };
const char* slot_state_name(SlotState s);

struct Slot {
  std::string server;
  std::string addr;
  int port = 0;
  SlotState state = SlotState::Maint;
  int sessions = 0;  // current sessions on this server (scur)
};

class Router {
 public:
  virtual ~Router() = default;
  // The servers of `backend`, in configuration order.
  virtual bool slots(const std::string& backend, std::vector<Slot>& out, std::string& err) = 0;
  virtual bool set_addr(const std::string& backend, const std::string& server, const std::string& addr, int port,
                        std::string& err) = 0;
  virtual bool set_state(const std::string& backend, const std::string& server, SlotState state, std::string& err) = 0;
  virtual bool sessions(const std::string& backend, const std::string& server, int& out, std::string& err) = 0;
  // Closes every session still on the server.
  virtual bool shutdown_sessions(const std::string& backend, const std::string& server, std::string& err) = 0;
};

class HaproxyRouter : public Router {
 public:
  explicit HaproxyRouter(std::string socket) : socket_(std::move(socket)) {}
  bool slots(const std::string& backend, std::vector<Slot>& out, std::string& err) override;
  bool set_addr(const std::string& backend, const std::string& server, const std::string& addr, int port,
                std::string& err) override;
  bool set_state(const std::string& backend, const std::string& server, SlotState state, std::string& err) override;
  bool sessions(const std::string& backend, const std::string& server, int& out, std::string& err) override;
  bool shutdown_sessions(const std::string& backend, const std::string& server, std::string& err) override;

  // Sends one command and returns HAProxy's answer.
  bool command(const std::string& cmd, std::string& answer, std::string& err);

 private:
  bool simple(const std::string& cmd, std::string& err);
  std::string socket_;
};

}  // namespace pgstage::deploy
