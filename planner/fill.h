// The `-- pgstage:fill <expression>` annotation: the value the planner backfills into a column the
// statement makes NOT NULL when the statement itself does not say (no DEFAULT).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/lower.h"
#include "analyzer/parse.h"
#include "analyzer/source.h"

namespace pgstage::planner {

inline constexpr const char* kFillMarker = "pgstage:fill";

// One `-- pgstage:fill ...` comment: its text after the marker and where it is.
struct FillComment {
  std::string text;
  size_t offset = 0;
};

// The fill comments annotating the statement spanning [begin, end): comments after the previous
// statement (prev_end) and before or inside the statement, or on the statement's last line after it.
// Fills `err` (naming file:line:column) when one is empty.
std::vector<FillComment> find_fills(const SourceFile& f, const std::vector<Comment>& comments, size_t prev_end,
                                    size_t begin, size_t end, size_t next_begin, std::string& err);

// The value for `column`, one of `filled` (the columns the statement makes NOT NULL without a
// value): `-- pgstage:fill column = <expression>` (the column named as in the statement, quoted or
// not), else the statement's one `-- pgstage:fill <expression>`, which serves every column without
// its own. Empty when neither exists; fills `err` when the comments are ambiguous (two for one
// column, two without a column).
std::optional<std::string> fill_for(const SourceFile& f, const std::vector<FillComment>& fills,
                                    const std::vector<std::string>& filled, const std::string& column,
                                    std::string& err);

// The columns a statement makes NOT NULL without a value for existing rows (ADD COLUMN ... NOT NULL
// without a default, SET NOT NULL): the ones a fill comment can be for.
std::vector<std::string> filled_columns(const LoweredStatement& lo);

}  // namespace pgstage::planner
