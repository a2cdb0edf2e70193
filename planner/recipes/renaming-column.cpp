#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_renaming_column{"renaming-column", "new column + sync triggers + backfill -> drop old"};

}  // namespace pgstage::planner
