// Atomic table swaps: DROP TABLE t and, later in the same transaction, another table taking the
// name t (ALTER TABLE x RENAME TO t, or CREATE TABLE t). The running release keeps finding a table
// named t, so lint judges the pair as one change and the planner runs both halves as written. One
// definition, read by the rules (dropping-table, renaming-table) and the planner.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/lower.h"

namespace pgstage {

struct SwapReplacement {
  size_t statement = 0;                       // where t's name is taken again (may be the DROP's own: a DO block)
  std::optional<QualifiedName> renamed_from;  // RENAME TO t: the table renamed; CREATE TABLE t: nullopt
  std::vector<std::string> created_columns;   // CREATE TABLE t: its columns
};

// Whether the DROP TABLE of `t` in change `change` of statement `at` is the first half of a swap:
// a later change of the same statement, or (when `in_transaction`) of a later statement before the
// transaction ends, gives t's name to another table.
std::optional<SwapReplacement> swap_replacement(const std::vector<LoweredStatement>& lowered, size_t at,
                                                size_t change, bool in_transaction, const QualifiedName& t);

// Whether change `change` of statement `at`, which gives another table the name `t`, completes a
// swap: t was dropped earlier in the same statement or (when `in_transaction`) in this transaction.
bool completes_swap(const std::vector<LoweredStatement>& lowered, size_t at, size_t change, bool in_transaction,
                    const QualifiedName& t);

}  // namespace pgstage
