#include "rules/registry.h"

#include <algorithm>

namespace pgstage::rules {
#include "rules/registry.inc"

const std::vector<const Rule*>& all() {
  static const std::vector<const Rule*> rules = [] {
    std::vector<const Rule*> v(std::begin(kRegistry), std::end(kRegistry));
    std::sort(v.begin(), v.end(), [](const Rule* a, const Rule* b) { return a->id < b->id; });
    return v;
  }();
  return rules;
}

const Rule* find(std::string_view id) {
  for (const Rule* r : all())
    if (r->id == id) return r;
  return nullptr;
}

}  // namespace pgstage::rules
