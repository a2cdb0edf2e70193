#include "analyzer/table_swaps.h"
#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace renaming_table {

// Whether `name` was dropped earlier in this transaction (or earlier in this statement): the rename
// is the second half of an atomic swap (analyzer/table_swaps.h), which dropping-table judges.
bool rename_completes_swap(const StatementContext& ctx, const Change& rename, const QualifiedName& name) {
  const auto& changes = ctx.lowered.changes;
  size_t k = 0;
  while (k < changes.size() && &changes[k] != &rename) ++k;
  return completes_swap(ctx.file_view.lowered(), size_t(ctx.index), k, ctx.tx.in_transaction, name);
}

void check(const StatementContext& ctx, Reporter& r) {
  each<RenameTable>(ctx, [&](const Change& c, const RenameTable& a) {
    if (!existing(ctx, a.table)) return;
    QualifiedName to{a.table.schema, a.new_name};
    if (!a.is_view && rename_completes_swap(ctx, c, to)) {
      r.report(Reporter::Report{
          "renaming table " + tick(a.table) + " to " + tick(to) + " completes a swap (" + tick(to) +
              " was dropped earlier in this transaction): the running release keeps finding " + tick(to) +
              ", and breaks only if it also queries " + tick(a.table) + " itself",
          "Nothing to do when " + tick(a.table) + " is a table made for the swap; otherwise ship code that no "
          "longer uses it first.",
          where(c), Severity::Hint, std::nullopt});
      return;
    }
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

}  // namespace renaming_table

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
    .check = renaming_table::check,
};

}  // namespace pgstage::rules
