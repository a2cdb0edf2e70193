#include "rules/rule_support.h"

namespace pgstage::rules {
namespace missing_lock_timeout {

void check(const StatementContext& ctx, Reporter& r) {
  if (ctx.settings.runner == Runner::Pgstage) return;  // pgstage apply sets lock_timeout and retries
  if (ctx.tx.lock_timeout_set || ctx.tx.unprotected_lock_statements > 0) return;  // report the first one only
  std::optional<TableLock> hit;
  const auto& changes = ctx.lowered.changes;
  // An index's own lock (DROP INDEX CONCURRENTLY takes ACCESS EXCLUSIVE on the index once nothing
  // uses it) queues no query: only tables count.
  std::vector<QualifiedName> indexes;
  for (const Change& c : changes) {
    if (auto* di = c.as<DropIndex>()) indexes.insert(indexes.end(), di->names.begin(), di->names.end());
    if (auto* ri = c.as<Reindex>(); ri && ri->kind == "index") indexes.push_back(ri->name);
  }
  for (size_t i = 0; i < changes.size(); ++i)
    for (auto& tl : ctx.lock_of(changes[i]).tables)
      if (blocks_writes(tl.mode) && existing(ctx, tl.table) && !created_earlier(ctx, i, tl.table) &&
          !ctx.catalog.index(tl.table) && !TxState::contains(indexes, tl.table) && (!hit || tl.mode > hit->mode))
        hit = tl;
  if (!hit) return;
  r.report("this statement takes " + a_lock(hit->mode) + " on " + tick(hit->table) +
               " with no lock_timeout set: if a long query holds the table, the statement waits in the lock queue and "
               "every later query on " +
               tick(hit->table) + " waits behind it",
           "Set a lock timeout at the top of the migration (and retry on failure), so a blocked lock fails fast "
           "instead of stalling traffic:\n  SET lock_timeout = '2s';\nor run the migration with `pgstage apply`, "
           "which sets it and retries.");
}

}  // namespace missing_lock_timeout

extern const Rule rule_missing_lock_timeout = {
    .id = "missing-lock-timeout",
    .category = Category::Locking,
    .severity = Severity::Warning,
    .summary = "A blocking lock on an existing table with no lock_timeout set before it",
    .why =
        "A statement that needs a lock conflicting with reads or writes waits for every transaction already "
        "using the table. While it waits, it sits in the lock queue and every later query on the table waits "
        "behind it: one slow report query turns an instant ALTER into an outage. `lock_timeout` bounds the wait. "
        "Reported once per file, at the first such statement; silent when the file runs under `pgstage apply` "
        "(runner = pgstage), which sets its own timeout and retries.",
    .lock = "Any lock from SHARE upwards (blocks writes; ACCESS EXCLUSIVE also blocks reads) on a table that exists.",
    .instead =
        "Start the migration with `SET lock_timeout = '2s';` (or `SET LOCAL` inside the transaction) and "
        "retry the migration when it times out.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "ALTER TABLE users ADD COLUMN nickname text;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\nSET lock_timeout = '2s';\n"
        "ALTER TABLE users ADD COLUMN nickname text;",
    .check = missing_lock_timeout::check,
};

}  // namespace pgstage::rules
