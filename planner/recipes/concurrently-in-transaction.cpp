#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_concurrently_in_transaction{"concurrently-in-transaction", "own non-transactional step"};

}  // namespace pgstage::planner
