#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_backfill_in_migration{"backfill-in-migration", "batched backfill step"};

}  // namespace pgstage::planner
