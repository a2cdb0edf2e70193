#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_changing_column_type{"changing-column-type",
                                                "new column + sync triggers + backfill -> swap"};

}  // namespace pgstage::planner
