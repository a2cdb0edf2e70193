#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_adding_unique_constraint{"adding-unique-constraint",
                                                    "unique index CONCURRENTLY -> ADD CONSTRAINT ... USING INDEX"};

}  // namespace pgstage::planner
