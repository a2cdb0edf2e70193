#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_unbounded_dml{"unbounded-dml", "batched backfill step"};

}  // namespace pgstage::planner
