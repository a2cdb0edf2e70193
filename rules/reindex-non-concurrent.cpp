#include "rules/rule_support.h"

namespace pgstage::rules {
namespace reindex_non_concurrent {

const char* kind_sql(const std::string& kind) {
  if (kind == "index") return "INDEX";
  if (kind == "table") return "TABLE";
  if (kind == "schema") return "SCHEMA";
  if (kind == "system") return "SYSTEM";
  return "DATABASE";
}

void check(const StatementContext& ctx, Reporter& r) {
  each<Reindex>(ctx, [&](const Change& c, const Reindex& ri) {
    if (ri.concurrently) return;
    if (ri.kind == "index") {
      const CatalogIndex* idx = ctx.catalog.index(ri.name);
      if (idx && (idx->created_in_review || !existing_for(ctx, c, idx->table))) return;
    } else if (ri.kind == "table" && !existing_for(ctx, c, ri.name)) {
      return;
    }
    std::string what = ri.kind == "index" ? "index " + tick(ri.name) : ri.kind + " " + tick(ri.name);
    std::string target = ri.kind == "index" || ri.kind == "table" ? quote_name(ri.name) : quote_ident(ri.name.name);
    std::string msg = "REINDEX of " + what +
                      " without CONCURRENTLY holds a SHARE lock on the table (blocks writes) and an ACCESS "
                      "EXCLUSIVE lock on each index, which blocks every query that plans with that index, for the "
                      "whole rebuild";
    std::string help;
    if (ri.kind == "system") {
      // Postgres refuses CONCURRENTLY for system catalogs (REINDEX SYSTEM CONCURRENTLY is an error).
      msg =
          "REINDEX SYSTEM rebuilds every system catalog index, holding locks that block DDL and the catalog "
          "lookups of new connections and queries for the whole rebuild";
      help =
          "System catalogs cannot be reindexed concurrently. Run it in a maintenance window, not in a "
          "migration; to rebuild the application's indexes online use REINDEX (TABLE|INDEX|SCHEMA) "
          "CONCURRENTLY instead.";
    } else if (ctx.settings.pg_version >= 12) {
      help = "Rebuild it online (PostgreSQL 12+), outside a transaction block:\n  REINDEX " +
             std::string(kind_sql(ri.kind)) + " CONCURRENTLY " + target + ";" + kPlanHint;
    } else {
      msg +=
          " (REINDEX CONCURRENTLY needs PostgreSQL 12; pg_version is " + std::to_string(ctx.settings.pg_version) + ")";
      help = "On PostgreSQL " + std::to_string(ctx.settings.pg_version) +
             ", build a replacement with CREATE INDEX CONCURRENTLY, then DROP INDEX CONCURRENTLY the old one and "
             "rename the new one; or raise pg_version if the server is 12 or newer.";
    }
    r.report(msg, help, where(c));
  });
}

}  // namespace reindex_non_concurrent

extern const Rule rule_reindex_non_concurrent = {
    .id = "reindex-non-concurrent",
    .category = Category::Locking,
    .severity = Severity::Error,
    .summary = "REINDEX without CONCURRENTLY",
    .why =
        "Plain REINDEX takes a SHARE lock on the table and an ACCESS EXCLUSIVE lock on every index it rebuilds. "
        "Writes stop for the whole rebuild, and because the planner locks every index of a table, most reads "
        "stop too. On a large table that is minutes of downtime.",
    .lock = "SHARE on the table (blocks writes) + ACCESS EXCLUSIVE on each index (blocks queries that plan with it).",
    .instead =
        "Use `REINDEX INDEX CONCURRENTLY idx;` (PostgreSQL 12+) in its own non-transactional step. Before 12, "
        "`CREATE INDEX CONCURRENTLY` a copy, `DROP INDEX CONCURRENTLY` the old one and rename the copy.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\n"
        "-- pgstage:history-end\nREINDEX INDEX users_email_idx;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\n"
        "-- pgstage:history-end\nREINDEX INDEX CONCURRENTLY users_email_idx;",
    .check = reindex_non_concurrent::check,
};

}  // namespace pgstage::rules
