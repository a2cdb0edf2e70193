#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace dropping_not_null {

void check(const StatementContext& ctx, Reporter& r) {
  each<DropNotNull>(ctx, [&](const Change& c, const DropNotNull& a) {
    if (!existing(ctx, a.table) || column_is_new(ctx, a.table, a.column)) return;
    const CatalogColumn* col = known_column(ctx, a.table, a.column);
    if (col && !col->not_null) return;  // already nullable: a no-op
    bool default_too = false;  // `ALTER c DROP NOT NULL, ALTER c DROP DEFAULT`: one finding, here
    for (const Change& o : ctx.lowered.changes)
      if (auto* d = o.as<DropDefault>(); d && d->column == a.column && Catalog::same(d->table, a.table))
        default_too = true;
    bool had_default = !col || col->default_expr || col->identity;
    r.report("dropping NOT NULL on " + tick(a.table, a.column) +
                 (default_too && had_default
                      ? " and its default: INSERTs from the release running during the deploy that leave the column "
                        "out now store NULL, and that release may read NULL where it expects a value and fail"
                      : ": once new code writes NULL, the release running during the deploy may read NULL where "
                        "it expects a value and fail"),
             "Make sure every running release handles NULL in " + tick(a.table, a.column) +
                 " before new code writes it, or keep the constraint and write a default value instead.",
             where(c));
  });
}

}  // namespace dropping_not_null

extern const Rule rule_dropping_not_null = {
    .id = "dropping-not-null",
    .category = Category::Compat,
    .severity = Severity::Warning,
    .summary = "DROP NOT NULL on an existing column",
    .why =
        "Code written against the old schema assumes the column always has a value. As soon as anything writes "
        "NULL into it, old readers can crash on the unexpected NULL.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes), briefly: catalog only.",
    .instead =
        "Ship readers that handle NULL first, then `ALTER TABLE t ALTER COLUMN c DROP NOT NULL;` in a later "
        "release.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n-- pgstage:history-end\n"
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';\n"
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
    .check = dropping_not_null::check,
};

}  // namespace pgstage::rules
