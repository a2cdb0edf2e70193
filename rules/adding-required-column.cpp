#include "rules/helpers.h"

namespace pgstage::rules {
namespace adding_required_column {

// Whether the table was truncated earlier in the same transaction: it holds no rows then, so the
// ALTER itself cannot fail on them (the TRUNCATE's lock keeps other sessions from adding any).
bool truncated_in_transaction(const StatementContext& ctx, const QualifiedName& t) {
  if (!ctx.tx.in_transaction) return false;
  const auto& lowered = ctx.file_view.lowered();
  for (size_t i = size_t(ctx.index); i-- > 0;) {
    for (const Change& c : lowered[i].changes) {
      if (auto* tc = c.as<TransactionControl>();
          tc && (tc->kind == TxKind::Begin || tc->kind == TxKind::Commit || tc->kind == TxKind::Rollback))
        return false;
      if (auto* tr = c.as<Truncate>())
        for (auto& x : tr->tables)
          if (Catalog::same(x, t)) return true;
    }
  }
  return false;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AddColumn>(ctx, [&](const Change& c, const AddColumn& a) {
    const ColumnDef& col = a.column;
    bool has_default = col.default_expr && !col.default_expr->is_null_constant;
    if (!col.not_null || has_default || col.identity || col.generated_stored || col.type.is_serial) return;
    if (!existing(ctx, a.table)) return;
    r.report("adding NOT NULL column " + tick(a.table, col.name) +
                 " without a default: INSERTs from the release running during the deploy do not set it and fail" +
                 (truncated_in_transaction(ctx, a.table)
                      ? std::string()
                      : ", and the statement itself fails if " + tick(a.table) + " has rows"),
             "Add the column as nullable (or with a constant DEFAULT), backfill it, then add the NOT NULL through a "
             "validated CHECK constraint:\n  ALTER TABLE " +
                 quote_name(a.table) + " ADD COLUMN " + quote_ident(col.name) + " " + col.type.str() + ";" + kPlanHint,
             where(c));
  });
}

}  // namespace adding_required_column

extern const Rule rule_adding_required_column = {
    .id = "adding-required-column",
    .category = Category::Compat,
    .severity = Severity::Error,
    .summary = "ADD COLUMN ... NOT NULL without a default on an existing table",
    .why =
        "The release that runs during the deploy does not know the new column, so its INSERTs leave it out and "
        "fail with a not-null violation. On a table that already has rows, the ALTER itself fails.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes), briefly.",
    .instead =
        "Add the column nullable or with a constant default, backfill it in batches, add "
        "`CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE CONSTRAINT`, then `SET NOT NULL` in the next release.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "ALTER TABLE users ADD COLUMN email text NOT NULL;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';",
    .check = adding_required_column::check,
};

}  // namespace pgstage::rules
