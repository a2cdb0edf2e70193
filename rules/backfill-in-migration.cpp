#include "rules/rule_support.h"

namespace pgstage::rules {
namespace {

bool is_ddl(const Change& c) {
  return !(c.is<Dml>() || c.is<TransactionControl>() || c.is<SetVariable>() || c.is<OtherStatement>());
}

void check(const StatementContext& ctx, Reporter& r) {
  const auto& changes = ctx.lowered.changes;
  for (size_t i = 0; i < changes.size(); ++i) {
    const Change& c = changes[i];
    const Dml* d = c.as<Dml>();
    if (!d) continue;
    bool backfill =
        d->kind == DmlKind::Update || d->kind == DmlKind::Merge || (d->kind == DmlKind::Insert && d->from_select);
    if (!backfill || !existing(ctx, d->table) || created_earlier(ctx, i, d->table)) continue;
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
    if (!ddl) continue;
    std::string lock = held == LockMode::None ? std::string("its locks") : "its " + lock_phrase(held);
    std::string verb = d->kind == DmlKind::Insert  ? "INSERT ... SELECT"
                       : d->kind == DmlKind::Merge ? "MERGE"
                                                   : "UPDATE";
    r.report(verb + " on " + tick(d->table) + " runs in the same transaction as DDL on it: the DDL keeps " + lock +
                 " on " + tick(d->table) + " for as long as the backfill runs",
             "Commit the DDL first, then backfill in batches, each in its own transaction:\n  COMMIT;\n  UPDATE " +
                 quote_name(d->table) + " SET ... WHERE id IN (SELECT id FROM " + quote_name(d->table) +
                 " WHERE <not yet done> LIMIT 10000);" + kPlanHint,
             where(c));
  }
}

}  // namespace

extern const Rule rule_backfill_in_migration = {
    .id = "backfill-in-migration",
    .category = Category::Data,
    .severity = Severity::Error,
    .summary = "UPDATE / INSERT ... SELECT on an existing table in the same transaction as DDL on it",
    .why =
        "DDL locks are held until the transaction commits. A backfill after an ALTER TABLE in the same "
        "transaction keeps the ALTER's ACCESS EXCLUSIVE lock for the whole backfill, so the table is unreadable "
        "for as long as the data takes to write.",
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
    .check = check,
};

}  // namespace pgstage::rules
