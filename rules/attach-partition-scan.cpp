#include "rules/rule_support.h"

namespace pgstage::rules {
namespace attach_partition_scan {

bool has_validated_check(const CatalogTable* t) {
  if (!t) return false;
  for (auto& k : t->constraints)
    if (k.kind == ConstraintKind::Check && k.validated && k.not_null_column.empty()) return true;
  return false;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AttachPartition>(ctx, [&](const Change& c, const AttachPartition& a) {
    if (!existing_for(ctx, c, a.partition)) return;  // created in this change set: empty, the scan is instant
    if (has_validated_check(ctx.catalog.table(a.partition))) return;
    std::string parent_lock = ctx.settings.pg_version >= 12
                                  ? "SHARE UPDATE EXCLUSIVE on " + tick(a.parent)
                                  : "ACCESS EXCLUSIVE on " + tick(a.parent) + " (before PostgreSQL 12)";
    r.report("ATTACH PARTITION " + tick(a.partition) +
                 " scans every row of it to check the partition bound while "
                 "holding an ACCESS EXCLUSIVE lock (blocks reads and writes) on it, and " +
                 parent_lock + "; no validated CHECK constraint on " + tick(a.partition) +
                 " lets Postgres skip the scan",
             "Prove the bound first with a CHECK that matches it, validated without blocking, then attach (the scan "
             "is skipped) and drop the check:\n  ALTER TABLE " +
                 quote_name(a.partition) +
                 " ADD CONSTRAINT bound_check CHECK (/* the partition bound */) NOT VALID;\n  ALTER TABLE " +
                 quote_name(a.partition) + " VALIDATE CONSTRAINT bound_check;\n  ALTER TABLE " + quote_name(a.parent) +
                 " ATTACH PARTITION " + quote_name(a.partition) + " FOR VALUES ...;",
             where(c));
  });
}

}  // namespace attach_partition_scan

extern const Rule rule_attach_partition_scan = {
    .id = "attach-partition-scan",
    .category = Category::Locking,
    .severity = Severity::Warning,
    .summary = "ATTACH PARTITION of an existing table with no validated CHECK matching the bound",
    .why =
        "Attaching a table as a partition makes Postgres verify that every row fits the partition bound (and "
        "scan the default partition for rows that now belong to the new one). The scan runs under ACCESS "
        "EXCLUSIVE on the attached table. A validated CHECK constraint that implies the bound lets Postgres skip "
        "it. pgstage cannot compare expressions, so any validated CHECK on the partition silences the rule.",
    .lock =
        "ACCESS EXCLUSIVE on the attached table and the default partition; SHARE UPDATE EXCLUSIVE on the parent "
        "(PostgreSQL 12+; ACCESS EXCLUSIVE before).",
    .instead =
        "`ALTER TABLE part ADD CONSTRAINT b CHECK (at >= '2024-01-01' AND at < '2025-01-01') NOT VALID;`, "
        "`VALIDATE CONSTRAINT b;`, then `ATTACH PARTITION`, then `DROP CONSTRAINT b`.",
    .bad =
        "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2024 (id bigint, at date);\n-- pgstage:history-end\n"
        "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    .good =
        "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2024 (id bigint, at date);\n"
        "ALTER TABLE events_2024 ADD CONSTRAINT b CHECK (at >= '2024-01-01' AND at < '2025-01-01');\n"
        "-- pgstage:history-end\n"
        "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    .check = attach_partition_scan::check,
};

}  // namespace pgstage::rules
