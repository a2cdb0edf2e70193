#include "rules/rule_support.h"

namespace pgstage::rules {
namespace validate_in_same_transaction {

bool added_not_valid_in_tx(const StatementContext& ctx, const ValidateConstraint& v) {
  const CatalogTable* t = ctx.catalog.table(v.table);
  const CatalogConstraint* k = t ? t->constraint(v.name) : nullptr;
  for (auto& [table, name] : ctx.tx.not_valid_constraints) {
    if (Catalog::key(table) != Catalog::key(v.table)) continue;
    if (name == v.name) return true;
    // Unnamed NOT VALID constraint: Postgres named it; the catalog knows that name.
    if (name.empty() && k && k->created_in_review && !k->validated) return true;
  }
  return false;
}

// An earlier Change of the same statement (a DO block: one transaction) added it NOT VALID.
bool added_not_valid_earlier(const StatementContext& ctx, size_t i, const ValidateConstraint& v) {
  for (size_t j = 0; j < i; ++j)
    if (auto* a = ctx.lowered.changes[j].as<AddConstraint>();
        a && a->constraint.not_valid && Catalog::same(a->table, v.table) &&
        (a->constraint.name == v.name || a->constraint.name.empty()))
      return true;
  return false;
}

void check(const StatementContext& ctx, Reporter& r) {
  const auto& changes = ctx.lowered.changes;
  for (size_t i = 0; i < changes.size(); ++i) {
    const Change& c = changes[i];
    const ValidateConstraint* v = c.as<ValidateConstraint>();
    if (!v || !existing(ctx, v->table) || created_earlier(ctx, i, v->table)) continue;
    std::string name = display_ident(v->name);
    std::string help =
        "Commit first, then validate in its own transaction (VALIDATE takes only SHARE UPDATE "
        "EXCLUSIVE, so reads and writes continue while it scans):\n  COMMIT;\n  ALTER TABLE " +
        quote_name(v->table) + " VALIDATE CONSTRAINT " + quote_ident(v->name) + ";";
    if ((ctx.tx.in_transaction && added_not_valid_in_tx(ctx, *v)) || added_not_valid_earlier(ctx, i, *v)) {
      r.report("VALIDATE CONSTRAINT " + name +
                   " runs in the same transaction that added it NOT VALID: the "
                   "ACCESS EXCLUSIVE / SHARE ROW EXCLUSIVE lock from the ADD is still held on " +
                   tick(v->table) + " during the full validation scan, which defeats NOT VALID",
               help, where(c));
      continue;
    }
    std::vector<TableLock> held = earlier_locks(ctx, i);
    if (ctx.tx.in_transaction)
      for (auto& h : ctx.tx.held_locks)
        if (existing(ctx, h.table)) held.push_back(h);
    for (auto& h : held) {
      if (!blocks_writes(h.mode)) continue;
      r.report("VALIDATE CONSTRAINT " + name + " on " + tick(v->table) +
                   " scans the table while this transaction "
                   "still holds " +
                   a_lock(h.mode) + " on " + tick(h.table) +
                   " from an earlier statement; the lock is held for the whole scan",
               help, where(c));
      break;
    }
  }
}

}  // namespace validate_in_same_transaction

extern const Rule rule_validate_in_same_transaction = {
    .id = "validate-in-same-transaction",
    .category = Category::Locking,
    .severity = Severity::Warning,
    .summary = "VALIDATE CONSTRAINT in the transaction that added it NOT VALID, or while a write-blocking lock is held",
    .why =
        "`NOT VALID` + `VALIDATE CONSTRAINT` is safe only because the two run in separate transactions: the ADD "
        "takes a strong lock briefly, the VALIDATE scans under SHARE UPDATE EXCLUSIVE. In one transaction the "
        "strong lock from the ADD (or from any earlier DDL) is kept until COMMIT, so the table is blocked for "
        "the whole scan.",
    .lock =
        "Whatever earlier statements of the transaction took (ACCESS EXCLUSIVE for CHECK, SHARE ROW EXCLUSIVE "
        "on both tables for FOREIGN KEY), held during the validation scan.",
    .instead =
        "Add the constraint NOT VALID and commit; validate in a later transaction (or the next migration):\n"
        "  ALTER TABLE t ADD CONSTRAINT c CHECK (...) NOT VALID;\n  COMMIT;\n"
        "  ALTER TABLE t VALIDATE CONSTRAINT c;",
    .bad =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\nBEGIN;\n"
        "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT total_positive;\nCOMMIT;",
    .good =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
        "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT total_positive;",
    .check = validate_in_same_transaction::check,
};

}  // namespace pgstage::rules
