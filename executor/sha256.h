// SHA-256 of a byte string, as "sha256:<hex>" (the checksum recorded for applied migrations).
#pragma once

#include <string>
#include <string_view>

namespace pgstage::executor {

std::string sha256_checksum(std::string_view data);

}  // namespace pgstage::executor
