#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_renaming_table{"renaming-table", "rename + compatibility view -> drop view"};

}  // namespace pgstage::planner
