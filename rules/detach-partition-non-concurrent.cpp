#include "rules/rule_support.h"

namespace pgstage::rules {
namespace detach_partition_non_concurrent {

void check(const StatementContext& ctx, Reporter& r) {
  each<DetachPartition>(ctx, [&](const Change& c, const DetachPartition& d) {
    if (d.concurrently || d.finalize || !existing_for(ctx, c, d.parent)) return;
    std::string msg = "DETACH PARTITION " + tick(d.partition) + " from " + tick(d.parent) +
                      " without CONCURRENTLY holds an ACCESS EXCLUSIVE lock (blocks reads and writes) on the parent "
                      "and the partition";
    std::string help;
    if (ctx.settings.pg_version >= 14) {
      help =
          "Detach it online (PostgreSQL 14+), outside a transaction block; it needs no default partition:\n"
          "  ALTER TABLE " +
          quote_name(d.parent) + " DETACH PARTITION " + quote_name(d.partition) + " CONCURRENTLY;";
    } else {
      msg += " (DETACH ... CONCURRENTLY needs PostgreSQL 14; pg_version is " + std::to_string(ctx.settings.pg_version) +
             ")";
      help = "On PostgreSQL " + std::to_string(ctx.settings.pg_version) +
             " there is no online form: run it with a short lock_timeout and retry,\n  SET lock_timeout = '2s';\n"
             "or raise pg_version if the server is 14 or newer and use DETACH PARTITION ... CONCURRENTLY.";
    }
    r.report(msg, help, where(c));
  });
}

}  // namespace detach_partition_non_concurrent

extern const Rule rule_detach_partition_non_concurrent = {
    .id = "detach-partition-non-concurrent",
    .category = Category::Locking,
    .severity = Severity::Warning,
    .summary = "ALTER TABLE ... DETACH PARTITION without CONCURRENTLY",
    .why =
        "A plain DETACH PARTITION takes ACCESS EXCLUSIVE on the partitioned table and the partition, so every "
        "query on the parent waits (and queues behind it while it waits for its own lock).",
    .lock =
        "ACCESS EXCLUSIVE on parent and partition (blocks reads and writes); SHARE on tables whose foreign keys "
        "reference it.",
    .instead =
        "`ALTER TABLE parent DETACH PARTITION part CONCURRENTLY;` (PostgreSQL 14+, outside a transaction "
        "block, not with a default partition). If it is interrupted, finish with `... FINALIZE`.",
    .bad =
        "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n"
        "-- pgstage:history-end\nALTER TABLE events DETACH PARTITION events_2020;",
    .good =
        "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n"
        "-- pgstage:history-end\nALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;",
    .check = detach_partition_non_concurrent::check,
};

}  // namespace pgstage::rules
