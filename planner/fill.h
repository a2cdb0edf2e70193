// The `-- pgstage:fill <expression>` annotation: the value the planner backfills into a column the
// statement makes NOT NULL when the statement itself does not say (no DEFAULT).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/parse.h"
#include "analyzer/source.h"

namespace pgstage::planner {

inline constexpr const char* kFillMarker = "pgstage:fill";

// The fill expression annotating the statement spanning [begin, end): a comment after the previous
// statement (prev_end) and before or inside the statement, or on the statement's last line after it.
// Empty when there is none; fills `err` (naming file:line:column) when one is empty or given twice.
std::optional<std::string> find_fill(const SourceFile& f, const std::vector<Comment>& comments, size_t prev_end,
                                     size_t begin, size_t end, size_t next_begin, std::string& err);

}  // namespace pgstage::planner
