#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_dropping_table{"dropping-table", "deprecate -> drop in the next release"};

}  // namespace pgstage::planner
