#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_adding_foreign_key{"adding-foreign-key", "NOT VALID -> VALIDATE CONSTRAINT"};

}  // namespace pgstage::planner
