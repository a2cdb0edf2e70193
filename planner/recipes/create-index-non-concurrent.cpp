#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_create_index_non_concurrent{"create-index-non-concurrent",
                                                       "CREATE INDEX CONCURRENTLY in its own non-transactional step"};

}  // namespace pgstage::planner
