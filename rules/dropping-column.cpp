#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace dropping_column {

void check(const StatementContext& ctx, Reporter& r) {
  each<DropColumn>(ctx, [&](const Change& c, const DropColumn& a) {
    if (!existing(ctx, a.table) || column_is_new(ctx, a.table, a.column)) return;
    if (absent_if_exists(ctx, a.if_exists, known_column(ctx, a.table, a.column) != nullptr)) return;
    r.report("dropping column " + tick(a.table, a.column) +
                 ": the release running during the deploy still reads and writes it, so its queries fail with "
                 "`column does not exist` and the data is gone; the drop also " +
                 lock_on(ctx, c, a.table) +
                 (a.cascade ? " and CASCADE drops the views and constraints that use it" : ""),
             "Ship a release that no longer uses " + tick(a.table, a.column) +
                 " (ignore it in the ORM first), then drop it in a migration of the next release:\n  ALTER TABLE " +
                 quote_name(a.table) + " DROP COLUMN " + quote_ident(a.column) + ";" + plan_line(),
             where(c));
  });
}

}  // namespace dropping_column

extern const Rule rule_dropping_column = {
    .id = "dropping-column",
    .category = Category::Compat,
    .severity = Severity::Error,
    .summary = "DROP COLUMN on an existing table",
    .why =
        "The release that runs during the deploy still selects and inserts the column (ORMs often list every "
        "column), so its queries fail from the moment the drop commits. The data cannot be recovered.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes), briefly: the drop only changes the catalog.",
    .instead =
        "Deprecate first: release N stops reading and writing the column (e.g. Rails `ignored_columns`, "
        "Django `SeparateDatabaseAndState`); release N+1 runs `ALTER TABLE t DROP COLUMN c;`.",
    .bad =
        "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n-- pgstage:history-end\n"
        "ALTER TABLE orders DROP COLUMN note;",
    .good =
        "CREATE TABLE orders (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "ALTER TABLE orders ADD COLUMN draft text;\nALTER TABLE orders DROP COLUMN draft;",
    .check = dropping_column::check,
};

}  // namespace pgstage::rules
