#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_dropping_column{"dropping-column",
                                           "deprecate (code stops using it) -> drop in the next release"};

}  // namespace pgstage::planner
