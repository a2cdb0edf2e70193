#include "rules/rule_support.h"

namespace pgstage::rules {
namespace {

bool is_work(const StatementContext& ctx) {
  for (auto& c : ctx.lowered.changes)
    if (!c.is<TransactionControl>() && !c.is<SetVariable>()) return true;
  return false;
}

// A DO block runs its statements in one transaction: ACCESS EXCLUSIVE taken by one of them is held
// while the rest run.
bool do_block_window(const StatementContext& ctx, Reporter& r) {
  const auto& changes = ctx.lowered.changes;
  for (size_t i = 1; i < changes.size(); ++i) {
    if (changes[i].is<TransactionControl>() || changes[i].is<SetVariable>()) continue;
    std::vector<QualifiedName> held;
    for (auto& tl : earlier_locks(ctx, i))
      if (tl.mode == LockMode::AccessExclusive) held.push_back(tl.table);
    if (held.empty()) continue;
    r.report("this DO block runs more statements after taking an ACCESS EXCLUSIVE lock (blocks reads and writes) "
                 "on " + tick_list(held) + ": a DO block is one transaction, so the lock is held until the whole "
                 "block finishes",
             "Move the statement that takes the ACCESS EXCLUSIVE lock into its own statement (or last in the "
             "block), and run the rest separately.",
             where(changes[i]));
    return true;
  }
  return false;
}

void check(const StatementContext& ctx, Reporter& r) {
  if (ctx.lowered.do_block && do_block_window(ctx, r)) return;
  if (!ctx.tx.in_transaction || !is_work(ctx)) return;
  // A relation dropped earlier in the transaction and re-created by this statement (DROP VIEW v;
  // CREATE VIEW v ...) is the usual atomic replacement: its lock is the point, not a hazard.
  auto recreated = [&](const QualifiedName& t) {
    for (auto& c : ctx.lowered.changes) {
      if (auto* v = c.as<CreateView>(); v && Catalog::same(v->name, t)) return true;
      if (auto* ct = c.as<CreateTable>(); ct && Catalog::same(ct->table, t)) return true;
    }
    return false;
  };
  std::vector<QualifiedName> held;
  for (auto& t : ctx.tx.access_exclusive_tables)
    if (existing(ctx, t) && !recreated(t)) held.push_back(t);
  if (held.empty()) return;
  std::vector<QualifiedName> added;
  for (auto& tl : ctx.lock.tables)
    if (tl.mode == LockMode::AccessExclusive && existing(ctx, tl.table) && !TxState::contains(held, tl.table))
      added.push_back(tl.table);
  std::string help = "Commit right after the statement that takes the ACCESS EXCLUSIVE lock, and run the rest in "
                     "separate transactions (one table per transaction):\n  ALTER TABLE ...;\n  COMMIT;\n  BEGIN;\n"
                     "  ...";
  if (!added.empty()) {
    std::vector<QualifiedName> all = held;
    all.insert(all.end(), added.begin(), added.end());
    r.report("this transaction now holds ACCESS EXCLUSIVE locks (blocking reads and writes) on " + tick_list(all) +
                 " at once, until COMMIT; each table stays blocked while the others are locked and altered",
             help);
    return;
  }
  if (ctx.tx.work_after_access_exclusive > 0) return;  // already reported for this transaction
  r.report("this statement runs while the transaction still holds an ACCESS EXCLUSIVE lock (blocks reads and "
               "writes) on " + tick_list(held) + " from an earlier statement: the table stays blocked until COMMIT, "
               "for as long as everything after the lock takes",
           help);
}

}  // namespace

extern const Rule rule_wide_lock_window = {
    .id = "wide-lock-window",
    .category = Category::Locking,
    .severity = Severity::Warning,
    .summary = "More work after an ACCESS EXCLUSIVE lock in the same transaction, or ACCESS EXCLUSIVE on several "
               "tables",
    .why = "Locks are held until the transaction ends. Once a statement has taken ACCESS EXCLUSIVE on a busy table, "
           "every further statement in the transaction extends the time that table is unreadable; locking several "
           "tables this way also risks deadlocks with application transactions. Reported at the first statement "
           "after the lock, and again whenever another table is added.",
    .lock = "ACCESS EXCLUSIVE held from the first statement that takes it until COMMIT.",
    .instead = "Put the statement that takes ACCESS EXCLUSIVE last in its transaction, or give it a transaction of "
               "its own; touch one busy table per transaction.",
    .bad = "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\n"
           "-- pgstage:history-end\nBEGIN;\nALTER TABLE users ADD COLUMN nickname text;\n"
           "ALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
    .good = "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\n"
            "-- pgstage:history-end\nBEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\nBEGIN;\n"
            "ALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
    .plan = "split into separate transactions",
    .check = check,
};

}  // namespace pgstage::rules
