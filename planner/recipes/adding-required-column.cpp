#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_adding_required_column{"adding-required-column",
                                                  "add nullable -> backfill -> not-null via CHECK"};

}  // namespace pgstage::planner
