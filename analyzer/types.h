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
// `timezone` is the session TimeZone the migration runs with ("" when unknown): on PG 12+ a change
// between timestamp and timestamptz skips the rewrite when the zone is UTC (a fixed zero offset).
TypeChangeFacts type_change_facts(const TypeName* old_type, const TypeName& new_type, const std::string& column,
                                  const std::optional<Expr>& using_expr, int pg_version,
                                  std::string_view timezone = {});

// Whether Postgres treats the zone as UTC for that test: a zone with a zero offset and no daylight
// saving time (UTC, Etc/UTC, GMT, Zulu, ...), compared without regard to case.
bool is_utc_zone(std::string_view timezone);

}  // namespace pgstage
