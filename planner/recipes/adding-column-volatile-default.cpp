#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_adding_column_volatile_default{"adding-column-volatile-default",
                                                          "add without default -> SET DEFAULT -> batched backfill"};

}  // namespace pgstage::planner
