// The schema of a live database as a Catalog (history for lint and trace), and schema snapshots:
// the same Catalog written to / read from JSON so CI can lint without database credentials.
#pragma once

#include <string>

#include "analyzer/catalog.h"

namespace pgstage::db {

// Reads tables, columns (type, typmods, nullability, default), constraints (with the validated
// flag), indexes, enums and table sizes (reltuples, pg_total_relation_size) of every user schema,
// on a read-only connection (SET default_transaction_read_only). Returns false and fills `err`
// (never containing the password) on failure.
bool read_live_catalog(const std::string& url, Catalog& out, std::string& err);

// Snapshot file format: {"version":1, "kind":"pgstage-schema", "tables":[...], "indexes":[...],
// "objects":[...], "sql": "..."}. "sql" (optional) is the schema as SQL (db/schema_sql.h), from which
// `plan --verify --schema` and `check-queries --schema` build their throwaway databases.
inline constexpr int kSnapshotVersion = 1;
std::string catalog_to_json(const Catalog& c, const std::string& schema_sql = "");
// Parses a snapshot. Returns false and fills `err` (naming `source`) on bad input or an unknown version.
// `schema_sql`, when given, receives the snapshot's "sql" ("" when it has none).
bool catalog_from_json(const std::string& text, const std::string& source, Catalog& out, std::string& err,
                       std::string* schema_sql = nullptr);

}  // namespace pgstage::db
