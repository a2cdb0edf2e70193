// The running release's queries (issue #17): SQL statements from query files (`--queries FILE|DIR`,
// statements separated by `;`, `$n` parameters allowed) or from pg_stat_statements on a live
// database (read-only). Each query remembers where it came from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgstage::queries {

struct Query {
  std::string sql;     // the statement, without the trailing ';'
  std::string origin;  // "queries/users.sql:12" or "pg_stat_statements queryid 42, calls 7"
  std::string file;    // "" for pg_stat_statements
  int line = 0, column = 0;
  bool from_stats = false;
  std::int64_t queryid = 0;
  long long calls = -1;  // pg_stat_statements calls; -1 for files
};

// The statements of a .sql file, or of every *.sql file of a directory (sorted by path, recursively).
// A statement that does not parse, or that PREPARE cannot take (anything but SELECT, INSERT,
// UPDATE, DELETE, MERGE, VALUES, TABLE, WITH), is an error naming file:line:col. An empty source is
// an error too (nothing to check).
bool load_query_files(const std::string& path, std::vector<Query>& out, std::string& err);

struct StatsFilter {
  std::string database;  // "" = the database of the URL; "*" = every database
  std::string role;      // "" = every role
};
// What reading pg_stat_statements left out, for the report.
struct StatsSkipped {
  long pgstage = 0;   // pgstage's own statements (schema pgstage, pg_stat_statements itself)
  long utility = 0;   // statements PREPARE cannot take (BEGIN, SET, DDL, ...)
  long unparsed = 0;  // texts that do not parse (truncated or from another grammar)
};
// Reads the statements of pg_stat_statements on `url` in a read-only transaction, most-called
// first. Errors (no extension, no permission, unreachable server) are returned with the URL redacted.
bool load_pg_stat_statements(const std::string& url, const StatsFilter& filter, std::vector<Query>& out,
                             StatsSkipped& skipped, std::string& err);

// The source given to --queries: "pg_stat_statements" reads the view (needs `url`), anything else
// is a file or directory.
inline bool is_stats_source(const std::string& s) { return s == "pg_stat_statements"; }

// Whether PREPARE can take `sql` (its first keyword, after comments and parentheses).
bool preparable(const std::string& sql);

// A one-line form of `sql` for reports: whitespace collapsed, cut at `max` characters with "...".
std::string one_line(const std::string& sql, size_t max = 100);

}  // namespace pgstage::queries
