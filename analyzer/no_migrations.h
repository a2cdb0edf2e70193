// The error for a directory in which list_migrations() found nothing (kept out of source.h, which
// nearly every file includes).
#pragma once

#include <string>

#include "analyzer/source.h"

namespace pgstage {

// Names the directory and the layouts tried (`layout` as requested: Auto means every layout), so
// `lint DIR`, `apply DIR` and `baseline DIR` exit 2 with it instead of reporting 0 files.
// `excluded_some`: --exclude patterns were applied.
std::string no_migrations_message(const std::string& dir, Layout layout, bool excluded_some = false);

}  // namespace pgstage
