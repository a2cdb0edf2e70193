#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_adding_primary_key{"adding-primary-key",
                                              "not-null via CHECK -> unique index CONCURRENTLY -> USING INDEX"};

}  // namespace pgstage::planner
