// The rule registry: every rule, sorted by id.
#pragma once

#include <string_view>
#include <vector>

#include "analyzer/rule_api.h"

namespace pgstage::rules {

// Every rule, sorted by id (ids are unique; a unit test checks both).
const std::vector<const Rule*>& all();

// The rule with this id, or null.
const Rule* find(std::string_view id);

}  // namespace pgstage::rules
