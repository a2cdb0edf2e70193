#include "rules/rule_support.h"

namespace pgstage::rules {
namespace vacuum_full {

const char* kHelp =
    "Use plain VACUUM (reads and writes continue) and let autovacuum reclaim space, or compact the table online "
    "with pg_repack; schedule VACUUM FULL / CLUSTER only in a maintenance window.";

void check(const StatementContext& ctx, Reporter& r) {
  each<Vacuum>(ctx, [&](const Change& c, const Vacuum& v) {
    if (!v.full || !any_existing(ctx, c, v.tables)) return;
    std::string what = v.tables.empty() ? "every table of the database" : tick_list(v.tables);
    r.report("VACUUM FULL rewrites " + what +
                 " into new files while holding an ACCESS EXCLUSIVE lock (blocks reads "
                 "and writes) for the whole copy; it also needs free disk space for a full copy",
             kHelp, where(c));
  });
  each<Cluster>(ctx, [&](const Change& c, const Cluster& cl) {
    if (!cl.table.empty() && !existing_for(ctx, c, cl.table)) return;
    std::string what = cl.table.empty() ? "every previously clustered table" : tick(cl.table);
    r.report("CLUSTER rewrites " + what +
                 " in index order while holding an ACCESS EXCLUSIVE lock (blocks reads and "
                 "writes) for the whole copy",
             kHelp, where(c));
  });
}

}  // namespace vacuum_full

extern const Rule rule_vacuum_full = {
    .id = "vacuum-full",
    .category = Category::Rewrite,
    .severity = Severity::Error,
    .summary = "VACUUM FULL or CLUSTER",
    .why =
        "VACUUM FULL and CLUSTER write a complete new copy of the table and its indexes under ACCESS EXCLUSIVE. "
        "The table is unavailable for the whole copy, which on a large table means minutes to hours.",
    .lock = "ACCESS EXCLUSIVE on each table processed (blocks reads and writes).",
    .instead =
        "Run plain `VACUUM (ANALYZE) t;`, or compact online with pg_repack "
        "(`pg_repack --table t`); keep VACUUM FULL for maintenance windows.",
    .bad = "CREATE TABLE events (id bigint PRIMARY KEY);\n-- pgstage:history-end\nVACUUM FULL events;",
    .good = "CREATE TABLE events (id bigint PRIMARY KEY);\n-- pgstage:history-end\nVACUUM (ANALYZE) events;",
    .check = vacuum_full::check,
};

}  // namespace pgstage::rules
