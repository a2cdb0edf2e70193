// Small text helpers for instance logs.
#pragma once

#include <string>

namespace pgstage::deploy {

// The last `n` lines of `text` (all of it when it has fewer).
std::string last_lines(const std::string& text, int n);

}  // namespace pgstage::deploy
