#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_drop_index_non_concurrent{"drop-index-non-concurrent", "DROP INDEX CONCURRENTLY"};

}  // namespace pgstage::planner
