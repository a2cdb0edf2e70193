#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace dropping_default {

bool sets_default(const Change& c, const QualifiedName& t, const std::string& column) {
  auto* d = c.as<SetDefault>();
  return d && d->column == column && Catalog::same(d->table, t);
}

// Whether the default comes back before anyone can see it gone: set again later in the same
// statement, or later in the same transaction (before its COMMIT), as the usual type change does
// (DROP DEFAULT; ALTER ... TYPE ... USING; SET DEFAULT).
bool restored_before_commit(const StatementContext& ctx, const DropDefault& a) {
  bool after = false;
  for (const Change& c : ctx.lowered.changes) {
    if (c.is<DropDefault>() && &std::get<DropDefault>(c.value) == &a)
      after = true;
    else if (after && sets_default(c, a.table, a.column))
      return true;
  }
  if (!ctx.tx.in_transaction) return false;
  const auto& lowered = ctx.file_view.lowered();
  for (size_t i = size_t(ctx.index) + 1; i < lowered.size(); ++i) {
    for (const Change& c : lowered[i].changes) {
      if (auto* tc = c.as<TransactionControl>();
          tc && (tc->kind == TxKind::Commit || tc->kind == TxKind::Rollback || tc->kind == TxKind::Prepare))
        return false;
      if (sets_default(c, a.table, a.column)) return true;
    }
  }
  return false;
}

// Whether the same statement also drops NOT NULL of the column (old INSERTs then store NULL).
bool drops_not_null_too(const StatementContext& ctx, const DropDefault& a) {
  for (const Change& c : ctx.lowered.changes)
    if (auto* d = c.as<DropNotNull>(); d && d->column == a.column && Catalog::same(d->table, a.table)) return true;
  return false;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<DropDefault>(ctx, [&](const Change& c, const DropDefault& a) {
    if (!existing(ctx, a.table) || restored_before_commit(ctx, a)) return;
    // What we know of the column: the catalog, or an earlier statement of this file.
    bool known = false, not_null = false, has_default = false, is_new = false;
    std::string default_sql;
    if (const CatalogColumn* col = known_column(ctx, a.table, a.column)) {
      known = true;
      not_null = col->not_null;
      has_default = col->default_expr || col->identity;
      if (col->default_expr) default_sql = col->default_expr->sql;
      is_new = col->created_in_review;
    } else if (!ctx.catalog.table(a.table)) {
      if (auto cd = column_from_file(ctx, a.table, a.column)) {
        known = true;
        not_null = cd->not_null || cd->primary_key;
        has_default = cd->default_expr.has_value();
        if (cd->default_expr) default_sql = cd->default_expr->sql;
        is_new = true;
      }
    }
    if (known && !has_default) return;  // no default to drop
    // Dropping NOT NULL in the same statement makes the column optional on purpose: old INSERTs
    // store NULL, which is the one risk dropping-not-null reports (naming the default too).
    if (drops_not_null_too(ctx, a)) return;
    std::string target = tick(a.table, a.column);
    std::string help = "Ship code that always sets " + target +
                       " first, then drop the default in the next "
                       "release:\n  ALTER TABLE " +
                       quote_name(a.table) + " ALTER COLUMN " + quote_ident(a.column) + " DROP DEFAULT;";
    if (known && not_null) {
      std::string relied =
          is_new ? "the release running during the deploy does not know " + target + ", so its INSERTs leave it out"
                 : "INSERTs from the release running during the deploy that leave the column out "
                   "relied on the default";
      r.report(Reporter::Report{"dropping the default of NOT NULL column " + target + ": " + relied +
                                    (default_sql.empty() ? std::string() : " (`" + default_sql + "`)") +
                                    " and now fail with a not-null violation",
                                help, where(c), Severity::Error, std::nullopt});
      return;
    }
    if (is_new) return;  // a new nullable column: old INSERTs store NULL, as they did not know it anyway
    r.report(Reporter::Report{
        "dropping the default of " + target +
            ": INSERTs from the release running during the deploy that leave the column out now store NULL "
            "instead of the default" +
            (known ? std::string() : " (and fail if the column is NOT NULL; its definition is not known)"),
        help, where(c), std::nullopt, std::nullopt});
  });
}

}  // namespace dropping_default

extern const Rule rule_dropping_default = {
    .id = "dropping-default",
    .category = Category::Compat,
    .severity = Severity::Warning,
    .summary = "DROP DEFAULT on an existing column (error when the column is NOT NULL)",
    .why =
        "INSERTs of the running release that leave the column out relied on the default. Without it they store "
        "NULL, or fail with a not-null violation when the column is NOT NULL.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes), briefly: catalog only.",
    .instead =
        "Ship code that always sets the column, then `ALTER TABLE t ALTER COLUMN c DROP DEFAULT;` in the "
        "next release.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY, role text NOT NULL DEFAULT 'member');\n"
        "-- pgstage:history-end\nALTER TABLE users ALTER COLUMN role DROP DEFAULT;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY, role text NOT NULL);\n-- pgstage:history-end\n"
        "ALTER TABLE users ALTER COLUMN role SET DEFAULT 'member';",
    .check = dropping_default::check,
};

}  // namespace pgstage::rules
