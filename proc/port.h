// A free TCP port for a program to listen on.
#pragma once

#include <string>

namespace pgstage::proc {

// A port on `host` (an IPv4 address) that nothing listens on now: the kernel's pick for port 0.
// Returns false and fills `err` when there is none or `host` is not an IPv4 address.
bool free_port(const std::string& host, int& port, std::string& err);

}  // namespace pgstage::proc
