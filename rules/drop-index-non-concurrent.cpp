#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace drop_index_non_concurrent {

void check(const StatementContext& ctx, Reporter& r) {
  each<DropIndex>(ctx, [&](const Change& c, const DropIndex& a) {
    if (a.concurrently) return;
    for (const QualifiedName& n : a.names) {
      const CatalogIndex* idx = ctx.catalog.index(n);
      if (idx && (idx->created_in_review || ctx.is_new(idx->table))) continue;
      if (absent_if_exists(ctx, a.if_exists, idx != nullptr)) continue;
      std::string on = idx ? " " + holding(ctx.lock_of(c), idx->table)
                           : " holds an ACCESS EXCLUSIVE lock (blocks reads and writes) on its table";
      if (const CatalogTable* t = idx ? ctx.catalog.table(idx->table) : nullptr; t && t->kind == "partitioned") {
        // Postgres cannot drop a partitioned index concurrently (nor an attached partition's index alone).
        r.report("DROP INDEX " + tick(n) + " on partitioned table " + tick(idx->table) + on +
                     " and on each partition, whose indexes go with it: every query on them waits, including "
                     "behind any long transaction already using one",
                 "Postgres cannot drop a partitioned index CONCURRENTLY. The drop reads no rows: run it with a short "
                 "lock_timeout, retried until it gets the locks (what `pgstage apply` does), at a quiet time." +
                     plan_line(),
                 where(c));
        continue;
      }
      r.report("DROP INDEX " + tick(n) + " without CONCURRENTLY" + on +
                   ": every query on the table waits, including behind any long transaction already using it",
               "Drop it concurrently, one index per statement, outside a transaction block:\n  DROP INDEX "
               "CONCURRENTLY " +
                   std::string(a.if_exists ? "IF EXISTS " : "") + quote_name(n) + ";" + plan_line(),
               where(c));
    }
  });
}

}  // namespace drop_index_non_concurrent

extern const Rule rule_drop_index_non_concurrent = {
    .id = "drop-index-non-concurrent",
    .category = Category::Locking,
    .severity = Severity::Warning,
    .summary = "DROP INDEX without CONCURRENTLY",
    .why =
        "DROP INDEX takes ACCESS EXCLUSIVE on the index's table. The drop itself is quick, but it waits for every "
        "transaction using the table, and all queries queue behind it while it waits.",
    .lock = "ACCESS EXCLUSIVE on the table and the index (blocks reads and writes).",
    .instead = "`DROP INDEX CONCURRENTLY name;` (one index per statement, not in a transaction block).",
    .bad =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n"
        "CREATE INDEX orders_total_idx ON orders (total);\n-- pgstage:history-end\nDROP INDEX orders_total_idx;",
    .good =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n"
        "CREATE INDEX orders_total_idx ON orders (total);\n-- pgstage:history-end\n"
        "DROP INDEX CONCURRENTLY orders_total_idx;",
    .check = drop_index_non_concurrent::check,
};

}  // namespace pgstage::rules
