#include "rules/rule_support.h"

namespace pgstage::rules {
namespace wide_lock_window {

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

// The tables the rest of this transaction locks ACCESS EXCLUSIVE, and how many statements of work
// it still runs (so the finding made at its first statement after the lock can describe all of it).
struct RestOfTransaction {
  std::vector<QualifiedName> tables;
  int statements = 0;
  size_t end = 0;  // index of the statement that ends it (COMMIT ...), or the file's size
};

RestOfTransaction rest_of_transaction(const StatementContext& ctx) {
  RestOfTransaction rest;
  rest.end = transaction_end(ctx);
  const auto& lowered = ctx.file_view.lowered();
  LockContext lc = ctx.settings.lock_context(&ctx.catalog);
  std::vector<QualifiedName> created;
  for (size_t k = size_t(ctx.index) + 1; k < rest.end; ++k) {
    bool work = false;
    for (const Change& c : lowered[k].changes) {
      if (c.is<TransactionControl>() || c.is<SetVariable>()) continue;
      work = true;
      if (auto* ct = c.as<CreateTable>()) created.push_back(ct->table);
      for (auto& tl : lock_facts(c, lc).tables)
        if (tl.mode == LockMode::AccessExclusive && !ctx.is_new(tl.table) && !TxState::contains(created, tl.table) &&
            !TxState::contains(rest.tables, tl.table))
          rest.tables.push_back(tl.table);
    }
    if (work) ++rest.statements;
  }
  return rest;
}

void check(const StatementContext& ctx, Reporter& r) {
  if (ctx.lowered.do_block && do_block_window(ctx, r)) return;
  if (!ctx.tx.in_transaction || ctx.tx.access_exclusive_tables.empty() || !is_work(ctx)) return;
  // One finding per transaction, at its first statement of work after an ACCESS EXCLUSIVE lock.
  if (ctx.tx.work_after_access_exclusive > 0) return;
  // A relation dropped earlier in the transaction and re-created by this statement (DROP VIEW v;
  // CREATE VIEW v ..., or a table renamed into its place) is the usual atomic replacement: its lock
  // is the point, not a hazard.
  auto recreated = [&](const QualifiedName& t) {
    for (auto& c : ctx.lowered.changes) {
      if (auto* v = c.as<CreateView>(); v && Catalog::same(v->name, t)) return true;
      if (auto* ct = c.as<CreateTable>(); ct && Catalog::same(ct->table, t)) return true;
      // DROP TABLE t; ALTER TABLE t_new RENAME TO t: the atomic table swap.
      if (auto* rt = c.as<RenameTable>(); rt && Catalog::same(QualifiedName{rt->table.schema, rt->new_name}, t))
        return true;
    }
    return false;
  };
  std::vector<QualifiedName> held;
  for (auto& t : ctx.tx.access_exclusive_tables)
    if (existing(ctx, t) && !recreated(t)) held.push_back(t);
  if (held.empty()) return;
  std::vector<QualifiedName> all = held;
  for (auto& tl : ctx.lock.tables)
    if (tl.mode == LockMode::AccessExclusive && existing(ctx, tl.table) && !TxState::contains(all, tl.table))
      all.push_back(tl.table);
  RestOfTransaction rest = rest_of_transaction(ctx);
  for (auto& t : rest.tables)
    if (!TxState::contains(all, t)) all.push_back(t);
  int after = 1 + rest.statements;  // this statement and the work after it
  std::string until = rest.end < ctx.file_view.size()
                          ? "until the COMMIT at line " +
                                std::to_string(ctx.file.position(ctx.file_view.statements()[rest.end].begin).line)
                          : std::string("until the transaction ends with the file");
  std::string message =
      all.size() > 1
          ? "this transaction holds ACCESS EXCLUSIVE locks (blocking reads and writes) on " + tick_list(all) +
                " at once, " + until + ": each stays blocked while the others are locked and altered (" +
                std::to_string(after) + " statement" + (after == 1 ? "" : "s") + " run after the first lock)"
          : "this transaction keeps its ACCESS EXCLUSIVE lock (blocks reads and writes) on " + tick_list(all) +
                " while " + std::to_string(after) + " more statement" + (after == 1 ? " runs" : "s run") + ", " +
                until;
  std::string help =
      all.size() > 1
          ? "Give each table its own short transaction, with the statement that takes ACCESS EXCLUSIVE last in it:\n"
          : "Commit right after the statement that takes the ACCESS EXCLUSIVE lock, and run the rest separately:\n";
  if (all.size() > 1) {
    size_t shown = all.size() <= 4 ? all.size() : 3;
    for (size_t k = 0; k < shown; ++k) help += "  BEGIN;\n  ALTER TABLE " + quote_name(all[k]) + " ...;\n  COMMIT;\n";
    if (all.size() > shown) help += "  -- ... and the same for " + tick_list({all.begin() + long(shown), all.end()}) + "\n";
  } else {
    help += "  ALTER TABLE " + quote_name(all[0]) + " ...;\n  COMMIT;\n  -- then the rest, in its own transaction\n";
  }
  help += "Set lock_timeout first so that a busy table makes the migration fail fast instead of queueing traffic.";
  r.report(message, help);
}

}  // namespace wide_lock_window

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
        "tables this way also risks deadlocks with application transactions. Reported once per transaction, at "
        "its first statement after the lock, naming every table the transaction locks this way.",
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
    .check = wide_lock_window::check,
};

}  // namespace pgstage::rules
