#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace {

void check(const StatementContext& ctx, Reporter& r) {
  each<RenameTable>(ctx, [&](const Change& c, const RenameTable& a) {
    if (!existing(ctx, a.table)) return;
    QualifiedName to{a.table.schema, a.new_name};
    r.report("renaming table " + tick(a.table) + " to " + tick(to) +
                 ": the release running during the deploy still queries " + tick(a.table) +
                 " and fails with `relation does not exist`; the rename also " + lock_on(ctx, c, a.table),
             "Rename the table and leave a view under the old name until no running release uses it:\n  ALTER TABLE " +
                 quote_name(a.table) + " RENAME TO " + quote_ident(a.new_name) + ";\n  CREATE VIEW " +
                 quote_name(a.table) + " AS SELECT * FROM " + quote_name(to) + ";\nDrop the view in the next release." +
                 kPlanHint,
             where(c));
  });
}

}  // namespace

extern const Rule rule_renaming_table = {
    .id = "renaming-table",
    .category = Category::Compat,
    .severity = Severity::Error,
    .summary = "ALTER TABLE ... RENAME TO on an existing table",
    .why =
        "The previous release keeps running during the deploy and names the table by its old name; every query "
        "it sends fails with `relation does not exist` until it is gone.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes), briefly; it queues behind long transactions.",
    .instead =
        "In one transaction: `ALTER TABLE old RENAME TO new; CREATE VIEW old AS SELECT * FROM new;` (a simple "
        "view is updatable, so old INSERT/UPDATE/DELETE keep working). Drop the view in the next release.",
    .bad = "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\nALTER TABLE users RENAME TO accounts;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "CREATE TABLE accounts (id bigint PRIMARY KEY);\nALTER TABLE accounts RENAME TO members;",
    .check = check,
};

}  // namespace pgstage::rules
