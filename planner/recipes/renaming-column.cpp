#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_renaming_column{"renaming-column", "copy under the new name + sync trigger + backfill -> drop the copy, rename the old column onto it"};

}  // namespace pgstage::planner
