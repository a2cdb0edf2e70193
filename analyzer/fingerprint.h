// The parts of a finding's fingerprint the lint driver computes once per statement text (the
// public functions are declared in lint.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pgstage {

// The hash of (rule, path, normalised text): what the findings of one rule on one statement text
// share (their fingerprints differ by occurrence only).
uint64_t fingerprint_base(std::string_view rule, std::string_view path, std::string_view text);
// The fingerprint (hex) of the `occurrence`-th finding with that base.
std::string hex_with_occurrence(uint64_t base, int occurrence);

}  // namespace pgstage
