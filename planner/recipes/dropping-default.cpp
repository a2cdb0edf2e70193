#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_dropping_default{"dropping-default",
                                            "DROP DEFAULT moved to contract, when no release relies on the default"};

}  // namespace pgstage::planner
