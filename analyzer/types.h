// Type facts: normalized names, and whether ALTER COLUMN TYPE rewrites the table.
#pragma once

#include <string>

#include "analyzer/change.h"

namespace pgstage {

// Normalizes a type name as written (int, integer, character varying, ...) to Postgres'
// internal name (int4, varchar, ...). Sets `serial` for serial types.
std::string normalize_type_name(const std::string& name, bool* serial = nullptr);

enum class TypeChangeVerdict {
  NoRewrite,  // binary-coercible: catalog-only (indexes may still be rebuilt)
  Rewrite,    // the table is rewritten under ACCESS EXCLUSIVE
  Unknown,    // the old type is not known
};

struct TypeChangeFacts {
  TypeChangeVerdict verdict = TypeChangeVerdict::Unknown;
  std::string reason;  // why, in words: "varchar(50) -> varchar(100) widens the limit"
};

// `old_type` is null when the column's type is unknown (no history). `using_expr` is the USING
// clause; a USING that is not a plain cast of the column forces a rewrite.
TypeChangeFacts type_change_facts(const TypeName* old_type, const TypeName& new_type, const std::string& column,
                                  const std::optional<Expr>& using_expr, int pg_version);

}  // namespace pgstage
