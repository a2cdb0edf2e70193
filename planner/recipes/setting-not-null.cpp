#include "planner/recipe.h"

namespace pgstage::planner {

extern const Recipe recipe_setting_not_null{"setting-not-null",
                                            "CHECK NOT VALID -> VALIDATE -> SET NOT NULL -> drop check"};

}  // namespace pgstage::planner
