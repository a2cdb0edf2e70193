#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_reindex_non_concurrent{"reindex-non-concurrent", "REINDEX ... CONCURRENTLY"};

}  // namespace pgstage::planner
