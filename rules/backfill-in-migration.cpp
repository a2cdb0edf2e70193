#include "rules/rule_support.h"

namespace pgstage::rules {
namespace backfill_in_migration {

bool is_ddl(const Change& c) {
  return !(c.is<Dml>() || c.is<TransactionControl>() || c.is<SetVariable>() || c.is<OtherStatement>());
}

bool is_backfill(const Dml& d) { return TxState::writes_rows(d); }

std::string verb_of(const Dml& d) {
  return d.kind == DmlKind::Insert   ? "INSERT ... SELECT"
         : d.kind == DmlKind::Merge  ? "MERGE"
         : d.kind == DmlKind::Delete ? "DELETE"
                                     : "UPDATE";
}

// The first DDL that takes a write-blocking lock on `t` after change `change_index` in this
// transaction: later in the statement (a DO block is one transaction) or in a later statement before
// the COMMIT. Its lock mode on `t` and the statement index it is in (-1: none).
struct LaterDdl {
  int statement = -1;
  LockMode mode = LockMode::None;
};
LaterDdl later_ddl(const StatementContext& ctx, size_t change_index, const QualifiedName& t) {
  LockContext lc = ctx.settings.lock_context(&ctx.catalog);
  auto lock_on_t = [&](const Change& c) {
    LockMode m = LockMode::None;
    if (!is_ddl(c)) return m;
    for (auto& tl : lock_facts(c, lc).tables)
      if (Catalog::same(tl.table, t)) m = std::max(m, tl.mode);
    // A lock that lets writes through (SHARE UPDATE EXCLUSIVE: VALIDATE, SET STATISTICS) adds nothing to
    // the row locks the data change holds anyway.
    return blocks_writes(m) ? m : LockMode::None;
  };
  const auto& changes = ctx.lowered.changes;
  for (size_t j = change_index + 1; j < changes.size(); ++j)
    if (LockMode m = lock_on_t(changes[j]); m != LockMode::None) return {ctx.index, m};
  size_t end = transaction_end(ctx);
  const auto& lowered = ctx.file_view.lowered();
  for (size_t k = size_t(ctx.index) + 1; k < end; ++k) {
    // A statement that cannot run in a transaction block (CONCURRENTLY) holds nothing in it.
    if (!lock_facts(lowered[k].changes, lc).transactional) continue;
    for (const Change& c : lowered[k].changes)
      if (LockMode m = lock_on_t(c); m != LockMode::None) return {int(k), m};
  }
  return {};
}

// How many more backfill statements on `t` follow in this transaction (reported once, here).
int later_writes(const StatementContext& ctx, size_t change_index, const QualifiedName& t) {
  int n = 0;
  const auto& changes = ctx.lowered.changes;
  for (size_t j = change_index + 1; j < changes.size(); ++j)
    if (auto* d = changes[j].as<Dml>(); d && is_backfill(*d) && Catalog::same(d->table, t)) ++n;
  size_t end = transaction_end(ctx);
  const auto& lowered = ctx.file_view.lowered();
  for (size_t k = size_t(ctx.index) + 1; k < end; ++k)
    for (const Change& c : lowered[k].changes)
      if (auto* d = c.as<Dml>(); d && is_backfill(*d) && Catalog::same(d->table, t)) ++n;
  return n;
}

// A table whose rows are known to be few: the migrations wrote them all (a seed or lookup table),
// or a live database estimates fewer than 10,000.
std::string known_small(const StatementContext& ctx, const QualifiedName& t) {
  const CatalogTable* tab = ctx.catalog.table(t);
  if (!tab) return {};
  if (tab->row_estimate && *tab->row_estimate >= 0 && *tab->row_estimate < 10000)
    return "is small (the database estimates " + std::to_string(static_cast<long long>(*tab->row_estimate)) +
           " rows)";
  if (tab->rows == CatalogTable::Rows::Seeded)
    return "is a seed or lookup table (every row comes from INSERT ... VALUES in the migrations), so it is small";
  return {};
}

void check(const StatementContext& ctx, Reporter& r) {
  const auto& changes = ctx.lowered.changes;
  std::vector<QualifiedName> reported;  // one finding per table and transaction (a DO block is one)
  for (size_t i = 0; i < changes.size(); ++i) {
    const Change& c = changes[i];
    const Dml* d = c.as<Dml>();
    if (!d || !is_backfill(*d)) continue;
    if (!existing(ctx, d->table) || created_earlier(ctx, i, d->table)) continue;
    if (TxState::contains(ctx.tx.backfilled_tables, d->table) || TxState::contains(reported, d->table)) continue;
    // An earlier write to the table in this transaction was reported already (DDL follows it too).
    if (ctx.tx.in_transaction && TxState::contains(ctx.tx.written_tables, d->table)) continue;
    // DDL on the table earlier in the transaction, or earlier in the same DO block (one transaction).
    LockMode held = LockMode::None;
    bool ddl = ctx.tx.in_transaction && TxState::contains(ctx.tx.ddl_tables, d->table);
    if (ddl)
      for (auto& h : ctx.tx.held_locks)
        if (Catalog::same(h.table, d->table)) held = std::max(held, h.mode);
    for (size_t j = 0; j < i; ++j) {
      if (!is_ddl(changes[j])) continue;
      for (auto& tl : ctx.lock_of(changes[j]).tables)
        if (Catalog::same(tl.table, d->table)) {
          ddl = true;
          held = std::max(held, tl.mode);
        }
    }
    // DDL on the table later in the transaction: the rows this statement writes stay locked while the
    // DDL waits for its lock, and everything is held until COMMIT.
    LaterDdl later;
    if (!ddl) later = later_ddl(ctx, i, d->table);
    if (!ddl && later.statement < 0) continue;
    reported.push_back(d->table);
    std::string lock = held == LockMode::None ? std::string("its locks") : "its " + lock_phrase(held);
    int more = later_writes(ctx, i, d->table);
    std::string message;
    if (ddl) {
      message = verb_of(*d) + " on " + tick(d->table) + " runs in the same transaction as DDL on it: the DDL keeps " +
                lock + " on " + tick(d->table) + " for as long as the backfill runs";
    } else {
      int line = ctx.file.position(ctx.file_view.statements()[size_t(later.statement)].begin).line;
      std::string at = later.statement == ctx.index ? std::string("later in this DO block")
                                                    : "at line " + std::to_string(line);
      message = verb_of(*d) + " on " + tick(d->table) + " runs in the same transaction as DDL on it " + at +
                ": the rows it writes stay locked while the DDL waits for its " + lock_phrase(later.mode) +
                " on " + tick(d->table) + ", and both are held until COMMIT";
    }
    if (more > 0)
      message += " (with " + std::to_string(more) + " more backfill statement" + (more == 1 ? "" : "s") + " on " +
                 tick(d->table) + " later in this transaction, reported once here)";
    std::string batch = d->kind == DmlKind::Delete
                            ? "  DELETE FROM " + quote_name(d->table) + " WHERE id IN (SELECT id FROM " +
                                  quote_name(d->table) + " WHERE <condition> LIMIT 10000);"
                            : "  UPDATE " + quote_name(d->table) + " SET ... WHERE id IN (SELECT id FROM " +
                                  quote_name(d->table) + " WHERE <not yet done> LIMIT 10000);";
    std::string batches = "  COMMIT;\n" + batch;
    // The planner stages UPDATE and INSERT ... SELECT as batched backfills; a DELETE runs as written.
    std::string plan = d->kind == DmlKind::Delete ? std::string() : std::string("\n") + (kPlanHint + 1);
    if (!ddl) {
      std::string first = "un the data change before the DDL's transaction, in batches that each commit, then the "
                          "DDL in a short transaction of its own:\n" +
                          batch + "\n  COMMIT;  -- repeat until done\n  BEGIN;\n  ALTER TABLE " +
                          quote_name(d->table) + " ...;\n  COMMIT;";
      std::string small = known_small(ctx, d->table);
      if (!small.empty()) {
        r.report(Reporter::Report{message + "; " + tick(d->table) + " " + small + " and the locks are held only briefly",
                                  "If the application also writes many rows to " + tick(d->table) + ", r" + first,
                                  where(c), Severity::Hint, std::nullopt});
        continue;
      }
      r.report(message, "R" + first + plan, where(c));
      continue;
    }
    std::string small = known_small(ctx, d->table);
    if (!small.empty()) {
      r.report(Reporter::Report{message + "; " + tick(d->table) + " " + small + " and the lock is held only briefly",
                                "If the application also writes many rows to " + tick(d->table) +
                                    ", commit the DDL first and backfill in batches:\n" + batches,
                                where(c), Severity::Hint, std::nullopt});
      continue;
    }
    r.report(message,
             "Commit the DDL first, then backfill in batches, each in its own transaction:\n" + batches + plan,
             where(c));
  }
}

}  // namespace backfill_in_migration

extern const Rule rule_backfill_in_migration = {
    .id = "backfill-in-migration",
    .category = Category::Data,
    .severity = Severity::Error,
    .summary =
        "UPDATE / DELETE / MERGE / INSERT ... SELECT on an existing table in the same transaction as DDL on it, "
        "before or after it",
    .why =
        "DDL locks are held until the transaction commits. A backfill after an ALTER TABLE in the same "
        "transaction keeps the ALTER's ACCESS EXCLUSIVE lock for the whole backfill, so the table is unreadable "
        "for as long as the data takes to write. Before the DDL it is no better: the rows it wrote stay locked "
        "while the DDL waits for its lock, and then both are held until COMMIT.",
    .lock = "The DDL's lock (usually ACCESS EXCLUSIVE) plus row locks on every row written, until COMMIT.",
    .instead =
        "Commit the DDL, then backfill in batches outside it (`pgstage plan` puts the backfill in its own "
        "phase):\n  ALTER TABLE users ADD COLUMN active bool;\n  COMMIT;\n"
        "  UPDATE users SET active = true WHERE id BETWEEN 1 AND 10000; -- repeat per batch",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\nBEGIN;\n"
        "ALTER TABLE users ADD COLUMN active bool;\nUPDATE users SET active = true WHERE active IS NULL;\nCOMMIT;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\nBEGIN;\n"
        "ALTER TABLE users ADD COLUMN active bool;\nCOMMIT;\n"
        "UPDATE users SET active = true WHERE id BETWEEN 1 AND 10000;",
    .check = backfill_in_migration::check,
};

}  // namespace pgstage::rules
