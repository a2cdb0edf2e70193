#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace renaming_column {

void check(const StatementContext& ctx, Reporter& r) {
  each<RenameColumn>(ctx, [&](const Change& c, const RenameColumn& a) {
    if (!existing(ctx, a.table) || column_is_new(ctx, a.table, a.column)) return;
    const CatalogColumn* col = known_column(ctx, a.table, a.column);
    r.report("renaming column " + tick(a.table, a.column) + " to `" + display_ident(a.new_name) +
                 "`: the release running during the deploy still reads and writes " + tick(a.table, a.column) +
                 " and its queries fail with `column does not exist`; the rename also " + lock_on(ctx, c, a.table),
             "Add the new column, keep both in sync with a trigger and backfill it, switch the code to the new "
             "name, then drop the old column in a later release:\n  ALTER TABLE " +
                 quote_name(a.table) + " ADD COLUMN " + quote_ident(a.new_name) + " " +
                 (col ? col->type.str() : std::string("<type>")) + ";" + plan_line(),
             where(c));
  });
}

}  // namespace renaming_column

extern const Rule rule_renaming_column = {
    .id = "renaming-column",
    .category = Category::Compat,
    .severity = Severity::Error,
    .summary = "RENAME COLUMN on an existing table",
    .why =
        "During a deploy the previous release keeps running against the new schema. Its queries name the old "
        "column and fail with `column does not exist` from the moment the rename commits until the last old "
        "container stops.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes), briefly; it queues behind long transactions.",
    .instead =
        "Expand and contract: `ALTER TABLE t ADD COLUMN new_name <type>;`, a trigger that copies writes "
        "between the two columns, a batched backfill, release code that uses `new_name`, then "
        "`ALTER TABLE t DROP COLUMN old_name;` in the next release.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n-- pgstage:history-end\n"
        "ALTER TABLE users RENAME COLUMN name TO full_name;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n-- pgstage:history-end\n"
        "ALTER TABLE users ADD COLUMN full_name text;",
    .check = renaming_column::check,
};

}  // namespace pgstage::rules
