// The schema of a live database as SQL that recreates it on a throwaway one: the start point of
// `plan --verify` and `check-queries` when the schema before the migration is a real database's
// (--schema-url) or a snapshot's (--schema) rather than the migrations before the file replayed.
#pragma once

#include <string>

namespace pgstage::db {

// `pg_dump --schema-only` of every user schema of `url` (pgstage's own state schema left out), with
// no owners, privileges, tablespaces or publications, and without psql meta-commands, so that it
// runs through libpq on an empty database of the same major version. pg_dump reads in one read-only
// snapshot; the password goes through PGPASSWORD, never the command line. Returns false and fills
// `err` (never containing the password) when pg_dump is missing or fails.
bool dump_schema_sql(const std::string& url, std::string& sql, std::string& err);

// Runs `sql` (a dump_schema_sql() script) on the database at `url`, in one transaction.
bool run_schema_sql(const std::string& url, const std::string& sql, std::string& err);

}  // namespace pgstage::db
