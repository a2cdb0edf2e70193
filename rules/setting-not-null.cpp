#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace setting_not_null {

bool proven_by_check(const StatementContext& ctx, const QualifiedName& t, const std::string& column) {
  const CatalogTable* tab = ctx.catalog.table(t);
  if (!tab) return false;
  for (auto& k : tab->constraints)
    if (k.kind == ConstraintKind::Check && k.validated && k.not_null_column == column) return true;
  return false;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<SetNotNull>(ctx, [&](const Change& c, const SetNotNull& a) {
    const CatalogColumn* col = known_column(ctx, a.table, a.column);
    if (col && col->not_null) return;  // already NOT NULL: a no-op
    bool proven = proven_by_check(ctx, a.table, a.column);
    if (!existing(ctx, a.table)) {
      // A new table filled from others: no release writes it yet, but Postgres scans the copied rows.
      auto p = proven && ctx.settings.pg_version >= 12 ? std::nullopt : populated_new_table(ctx, c, a.table);
      if (!p) return;
      r.report(Reporter::Report{
          "setting " + tick(a.table, a.column) + " NOT NULL scans " + p->rows() + p->consequence(),
          p->held.empty() ? p->lone_help() + "declare the column NOT NULL in the CREATE TABLE, before the rows are "
                                              "copied in."
                          : "Set it in a transaction that holds no lock on tables in use (commit the other statements "
                            "first), or declare the column NOT NULL in the CREATE TABLE, before the rows are copied in.",
          where(c), p->severity(Severity::Error), std::nullopt});
      return;
    }
    // A validated CHECK (col IS NOT NULL) already rejects NULL writes, and from PG 12 Postgres uses it to skip
    // the scan: this is the contract step of the safe recipe.
    if (proven && ctx.settings.pg_version >= 12) return;
    LockFacts lf = ctx.lock_of(c);
    std::string target = tick(a.table, a.column);
    std::string msg = "setting " + target + " NOT NULL: ";
    // A column added in this change set is not written by the running release: its INSERTs leave it
    // to the default. With a default (set before, or in this same ALTER) they keep working; only the
    // scan remains.
    bool defaulted = col && col->default_expr && !col->default_expr->is_null_constant;
    each<SetDefault>(ctx, [&](const Change&, const SetDefault& d) {
      if (Catalog::same(d.table, a.table) && d.column == a.column && !d.expr.is_null_constant) defaulted = true;
    });
    bool compatible = !proven && defaulted && column_is_new(ctx, a.table, a.column);
    if (compatible)
      msg += "the running release does not write this new column and its INSERTs get the default, but Postgres "
             "scans the whole table to verify it while it " +
             holding(lf, a.table);
    else if (proven)
      msg += "a validated CHECK proves it, but before PostgreSQL 12 Postgres still scans the whole table while it " +
             holding(lf, a.table);
    else
      msg +=
          "the release running during the deploy may still write NULL into it and its INSERTs and UPDATEs then "
          "fail, and Postgres scans the whole table to verify it while it " +
          holding(lf, a.table);
    std::string cname = a.table.name + "_" + a.column + "_not_null";
    r.report(Reporter::Report{msg,
             "Prove it with a constraint that does not block traffic, then set it (PG 12+ skips the scan):\n"
             "  ALTER TABLE " +
                 quote_name(a.table) + " ADD CONSTRAINT " + quote_ident(cname) + " CHECK (" + quote_ident(a.column) +
                 " IS NOT NULL) NOT VALID;\n  ALTER TABLE " + quote_name(a.table) + " VALIDATE CONSTRAINT " +
                 quote_ident(cname) + ";\n  ALTER TABLE " + quote_name(a.table) + " ALTER COLUMN " +
                 quote_ident(a.column) + " SET NOT NULL;\n  ALTER TABLE " + quote_name(a.table) + " DROP CONSTRAINT " +
                 quote_ident(cname) + ";" + (compatible ? "" : "\nShip the code that always writes the column first.") +
                 kPlanHint,
             where(c), compatible ? std::optional<Severity>(Severity::Warning) : std::nullopt, std::nullopt});
  });
}

}  // namespace setting_not_null

extern const Rule rule_setting_not_null = {
    .id = "setting-not-null",
    .category = Category::Compat,
    .severity = Severity::Error,
    .summary =
        "SET NOT NULL on an existing column; on a new table filled from others, a warning unless a table in use "
        "stays locked during the scan",
    .why =
        "The release running during the deploy may still write NULL into the column; its writes fail once the "
        "constraint is in place. Postgres also scans the whole table to check existing rows while it holds "
        "ACCESS EXCLUSIVE, unless a validated CHECK (col IS NOT NULL) proves it (PostgreSQL 12+).",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes) for the whole scan.",
    .instead =
        "`ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID;` then `VALIDATE CONSTRAINT c;` (reads and writes "
        "continue), then `ALTER COLUMN col SET NOT NULL;` (no scan on PG 12+) and `DROP CONSTRAINT c;`.",
    .bad =
        "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n-- pgstage:history-end\n"
        "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;",
    .good =
        "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_note_not_null CHECK (note IS NOT NULL) NOT VALID;\n"
        "-- pgstage:history-end\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_note_not_null;\n"
        "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;\n"
        "ALTER TABLE orders DROP CONSTRAINT orders_note_not_null;",
    .check = setting_not_null::check,
};

}  // namespace pgstage::rules
