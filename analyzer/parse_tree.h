// Internal to the analyzer: the parse tree behind a Statement. Only lower.cpp reads `node`.
#pragma once

#include <nlohmann/json.hpp>

#include "analyzer/parse.h"

namespace pgstage {

struct ParseTree {
  nlohmann::json node;  // one RawStmt's `stmt`, e.g. {"AlterTableStmt": {...}}
  // libpg_query locations are relative to the string it parsed; add `base` for a file offset.
  int base = 0;
};

}  // namespace pgstage
