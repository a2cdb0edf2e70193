#include "rules/rule_support.h"

namespace pgstage::rules {
namespace table_rewrite {

// The AT_* subcommands that rewrite (or copy) the table's data files.
const char* rewrite_clause(const std::string& sub) {
  if (sub == "AT_SetLogged") return "SET LOGGED";
  if (sub == "AT_SetUnLogged") return "SET UNLOGGED";
  if (sub == "AT_SetTableSpace") return "SET TABLESPACE";
  if (sub == "AT_SetAccessMethod") return "SET ACCESS METHOD";
  return nullptr;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AlterTableOther>(ctx, [&](const Change& c, const AlterTableOther& a) {
    const char* clause = rewrite_clause(a.subcommand);
    if (!clause) return;
    bool index = !a.options.empty() && a.options.front() == "index";
    if (!index && !existing_for(ctx, c, a.table)) return;
    if (index) {
      const CatalogIndex* idx = ctx.catalog.index(a.table);
      if (idx && (idx->created_in_review || !existing_for(ctx, c, idx->table))) return;
    }
    std::string what = index ? "index " + tick(a.table) : tick(a.table);
    std::string help = a.subcommand == "AT_SetTableSpace"
                           ? "Move it without a long lock: build a copy in the new tablespace with CREATE INDEX "
                             "CONCURRENTLY ... TABLESPACE (for indexes), or use pg_repack / logical replication for "
                             "tables; or schedule a maintenance window."
                           : "Avoid changing it on a live table: create a new table with the wanted setting, copy "
                             "the data in batches and swap (or use pg_repack); or schedule a maintenance window.";
    r.report(std::string(clause) + " on " + what +
                 " rewrites all of its data while holding an ACCESS EXCLUSIVE lock "
                 "(blocks reads and writes) for the whole copy",
             help, where(c));
  });
}

}  // namespace table_rewrite

extern const Rule rule_table_rewrite = {
    .id = "table-rewrite",
    .category = Category::Rewrite,
    .severity = Severity::Warning,
    .summary = "SET LOGGED/UNLOGGED, SET TABLESPACE or SET ACCESS METHOD on an existing table",
    .why =
        "These subcommands write a new copy of the table (or index) and swap it in. The copy takes time "
        "proportional to the table size, and the table is locked ACCESS EXCLUSIVE throughout.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes) for the whole rewrite.",
    .instead =
        "Create a new table with the wanted persistence, tablespace or access method, copy in batches and "
        "swap names; or use pg_repack; or plan a maintenance window.",
    .bad = "CREATE TABLE events (id bigint PRIMARY KEY);\n-- pgstage:history-end\nALTER TABLE events SET LOGGED;",
    .good = "CREATE UNLOGGED TABLE events (id bigint PRIMARY KEY);\nALTER TABLE events SET LOGGED;",
    .check = table_rewrite::check,
};

}  // namespace pgstage::rules
