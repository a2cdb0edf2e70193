#include <algorithm>

#include "planner/planner.h"
#include "planner/recipe.h"

namespace pgstage::planner {
#include "planner/recipes.inc"

const std::vector<const Recipe*>& recipes() {
  static const std::vector<const Recipe*> all = [] {
    std::vector<const Recipe*> v(std::begin(kRecipes), std::end(kRecipes));
    std::sort(v.begin(), v.end(), [](const Recipe* a, const Recipe* b) { return a->rule < b->rule; });
    return v;
  }();
  return all;
}

const Recipe* find_recipe(std::string_view rule_id) {
  for (const Recipe* r : recipes())
    if (r->rule == rule_id) return r;
  return nullptr;
}

bool has_recipe(std::string_view rule_id) { return find_recipe(rule_id) != nullptr; }

}  // namespace pgstage::planner
