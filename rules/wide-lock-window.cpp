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
  LockFacts earlier;  // the locks of changes[0, i), accumulated (earlier_locks() per i is quadratic)
  for (size_t i = 1; i < changes.size(); ++i) {
    const Change& prev = changes[i - 1];
    if (!prev.is<TransactionControl>() && !prev.is<SetVariable>()) earlier.merge(ctx.lock_of(prev));
    if (changes[i].is<TransactionControl>() || changes[i].is<SetVariable>()) continue;
    std::vector<QualifiedName> held;
    for (auto& tl : earlier.tables)
      if (tl.mode == LockMode::AccessExclusive && existing(ctx, tl.table) && !created_earlier(ctx, i, tl.table))
        held.push_back(tl.table);
    if (held.empty()) continue;
    r.report(
        "this DO block runs more statements after taking an ACCESS EXCLUSIVE lock (blocks reads and writes) "
        "on " +
            tick_list(held) +
            ": a DO block is one transaction, so the lock is held until the whole "
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
  if (!ctx.tx.in_transaction || ctx.tx.access_exclusive_tables.empty() || !is_work(ctx)) return;
  // A relation dropped earlier in the transaction and re-created by this statement (DROP VIEW v;
  // CREATE VIEW v ...) is the usual atomic replacement: its lock is the point, not a hazard.
  auto recreated = [&](const QualifiedName& t) {
    for (auto& c : ctx.lowered.changes) {
      if (auto* v = c.as<CreateView>(); v && Catalog::same(v->name, t)) return true;
      if (auto* ct = c.as<CreateTable>(); ct && Catalog::same(ct->table, t)) return true;
    }
    return false;
  };
  // Held: tables of existing relations ACCESS EXCLUSIVE-locked earlier in the transaction.
  auto is_held = [&](const QualifiedName& t) {  // `t` exists
    return TxState::contains(ctx.tx.access_exclusive_tables, t) && !recreated(t);
  };
  // This statement's new ACCESS EXCLUSIVE locks on existing tables. Computed first: a long
  // transaction holds many tables, and the per-held-table lookups below are only needed when
  // there is something to report.
  std::vector<const QualifiedName*> added;
  for (auto& tl : ctx.lock.tables)
    if (tl.mode == LockMode::AccessExclusive && existing(ctx, tl.table) && !is_held(tl.table))
      added.push_back(&tl.table);
  if (added.empty() && ctx.tx.work_after_access_exclusive > 0) return;  // already reported for this transaction
  std::vector<QualifiedName> held;
  for (auto& t : ctx.tx.access_exclusive_tables)
    if (existing(ctx, t) && !recreated(t)) held.push_back(t);
  if (held.empty()) return;
  std::string help =
      "Commit right after the statement that takes the ACCESS EXCLUSIVE lock, and run the rest in "
      "separate transactions (one table per transaction):\n  ALTER TABLE ...;\n  COMMIT;\n  BEGIN;\n"
      "  ...";
  if (!added.empty()) {
    std::vector<QualifiedName> all = held;
    for (auto* t : added) all.push_back(*t);
    r.report("this transaction now holds ACCESS EXCLUSIVE locks (blocking reads and writes) on " + tick_list(all) +
                 " at once, until COMMIT; each table stays blocked while the others are locked and altered",
             help);
    return;
  }
  r.report(
      "this statement runs while the transaction still holds an ACCESS EXCLUSIVE lock (blocks reads and "
      "writes) on " +
          tick_list(held) +
          " from an earlier statement: the table stays blocked until COMMIT, "
          "for as long as everything after the lock takes",
      help);
}

}  // namespace

extern const Rule rule_wide_lock_window = {
    .id = "wide-lock-window",
    .category = Category::Locking,
    .severity = Severity::Warning,
    .summary =
        "More work after an ACCESS EXCLUSIVE lock in the same transaction, or ACCESS EXCLUSIVE on several "
        "tables",
    .why =
        "Locks are held until the transaction ends. Once a statement has taken ACCESS EXCLUSIVE on a busy table, "
        "every further statement in the transaction extends the time that table is unreadable; locking several "
        "tables this way also risks deadlocks with application transactions. Reported at the first statement "
        "after the lock, and again whenever another table is added.",
    .lock = "ACCESS EXCLUSIVE held from the first statement that takes it until COMMIT.",
    .instead =
        "Put the statement that takes ACCESS EXCLUSIVE last in its transaction, or give it a transaction of "
        "its own; touch one busy table per transaction.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\n"
        "-- pgstage:history-end\nBEGIN;\nALTER TABLE users ADD COLUMN nickname text;\n"
        "ALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\n"
        "-- pgstage:history-end\nBEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\nBEGIN;\n"
        "ALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
    .check = check,
};

}  // namespace pgstage::rules
