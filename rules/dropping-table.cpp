#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace {

void check(const StatementContext& ctx, Reporter& r) {
  each<DropTable>(ctx, [&](const Change& c, const DropTable& a) {
    for (const QualifiedName& t : a.tables) {
      if (!existing(ctx, t) || absent_if_exists(ctx, a.if_exists, ctx.catalog.table(t) != nullptr)) continue;
      r.report("dropping table " + tick(t) +
                   ": the release running during the deploy still queries it and fails with `relation does not "
                   "exist`, and its rows are gone; the drop " + lock_on(ctx, c, t) +
                   (a.cascade ? " and CASCADE also drops the foreign keys and views that depend on it" : ""),
               "Ship a release that no longer uses " + tick(t) + ", then drop it in a migration of the next release:"
                   "\n  DROP TABLE " + quote_name(t) + ";" + plan_line(),
               where(c));
    }
  });
}

}  // namespace

extern const Rule rule_dropping_table = {
    .id = "dropping-table",
    .category = Category::Compat,
    .severity = Severity::Error,
    .summary = "DROP TABLE of an existing table",
    .why = "The release that runs during the deploy may still read or write the table; its queries fail from the "
           "moment the drop commits, and the data cannot be recovered.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes), and on every table whose foreign key "
            "references it.",
    .instead = "Deprecate first: release N stops using the table; release N+1 runs `DROP TABLE t;`.",
    .bad = "CREATE TABLE sessions (id bigint PRIMARY KEY);\n-- pgstage:history-end\nDROP TABLE sessions;",
    .good = "CREATE TABLE scratch (id bigint PRIMARY KEY);\nDROP TABLE scratch;",
    .check = check,
};

}  // namespace pgstage::rules
