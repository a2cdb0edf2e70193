#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_adding_check_constraint{"adding-check-constraint", "NOT VALID -> VALIDATE CONSTRAINT"};

}  // namespace pgstage::planner
