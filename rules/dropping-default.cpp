#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace {

void check(const StatementContext& ctx, Reporter& r) {
  each<DropDefault>(ctx, [&](const Change& c, const DropDefault& a) {
    if (!existing(ctx, a.table) || column_is_new(ctx, a.table, a.column)) return;
    const CatalogColumn* col = known_column(ctx, a.table, a.column);
    if (col && !col->default_expr && !col->identity) return;  // no default to drop
    std::string target = tick(a.table, a.column);
    if (col && col->not_null) {
      r.report(Reporter::Report{
          "dropping the default of NOT NULL column " + target +
              ": INSERTs from the release running during the deploy that leave the column out relied on the "
              "default (" + (col->default_expr ? "`" + col->default_expr->sql + "`" : std::string("none")) +
              ") and now fail with a not-null violation",
          "Ship code that always sets " + target + " first, then drop the default in the next release:\n"
          "  ALTER TABLE " + quote_name(a.table) + " ALTER COLUMN " + quote_ident(a.column) + " DROP DEFAULT;",
          where(c), Severity::Error, std::nullopt});
      return;
    }
    r.report(Reporter::Report{
        "dropping the default of " + target +
            ": INSERTs from the release running during the deploy that leave the column out now store NULL "
            "instead of the default" +
            (col ? std::string() : " (and fail if the column is NOT NULL; its definition is not known)"),
        "Ship code that always sets " + target + " first, then drop the default in the next release.",
        where(c), std::nullopt, std::nullopt});
  });
}

}  // namespace

extern const Rule rule_dropping_default = {
    .id = "dropping-default",
    .category = Category::Compat,
    .severity = Severity::Warning,
    .summary = "DROP DEFAULT on an existing column (error when the column is NOT NULL)",
    .why = "INSERTs of the running release that leave the column out relied on the default. Without it they store "
           "NULL, or fail with a not-null violation when the column is NOT NULL.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes), briefly: catalog only.",
    .instead = "Ship code that always sets the column, then `ALTER TABLE t ALTER COLUMN c DROP DEFAULT;` in the "
               "next release.",
    .bad = "CREATE TABLE users (id bigint PRIMARY KEY, role text NOT NULL DEFAULT 'member');\n"
           "-- pgstage:history-end\nALTER TABLE users ALTER COLUMN role DROP DEFAULT;",
    .good = "CREATE TABLE users (id bigint PRIMARY KEY, role text NOT NULL);\n-- pgstage:history-end\n"
            "ALTER TABLE users ALTER COLUMN role SET DEFAULT 'member';",
    .check = check,
};

}  // namespace pgstage::rules
