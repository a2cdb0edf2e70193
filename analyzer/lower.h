// Lowering: libpg_query parse trees -> typed Changes. The only code that reads libpg_query JSON.
#pragma once

#include <string>
#include <vector>

#include "analyzer/change.h"
#include "analyzer/parse.h"
#include "analyzer/source.h"

namespace pgstage {

struct LoweredStatement {
  std::string kind;             // libpg_query node name, e.g. "AlterTableStmt"
  std::vector<Change> changes;  // in execution order; empty only for a statement that did not parse
  // For DO blocks: SQL that the block runs (its statements and constant EXECUTE strings).
  bool do_block = false;
  bool do_block_dynamic = false;  // EXECUTE of a non-constant string: not analysable
};

// Lowers one parsed statement. Never throws; unexpected shapes become OtherStatement.
LoweredStatement lower(const Statement& st, const SourceFile& file);

}  // namespace pgstage
