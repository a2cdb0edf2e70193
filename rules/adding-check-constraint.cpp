#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace {

std::string staged_sql(const QualifiedName& t, const std::string& name, const std::string& expr) {
  return "  ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(name) + " CHECK (" + expr +
         ") NOT VALID;\n  ALTER TABLE " + quote_name(t) + " VALIDATE CONSTRAINT " + quote_ident(name) + ";";
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AddConstraint>(ctx, [&](const Change& c, const AddConstraint& a) {
    const Constraint& k = a.constraint;
    if (k.kind != ConstraintKind::Check || k.not_valid || !existing(ctx, a.table)) return;
    std::string expr = k.check ? k.check->sql : "...";
    r.report("adding CHECK constraint " + (k.name.empty() ? std::string() : "`" + display_ident(k.name) + "` ") +
                 "on " + tick(a.table) + " without NOT VALID scans the whole table to validate it while it " +
                 lock_on(ctx, c, a.table) + ": all reads and writes wait for the scan",
             "Add it NOT VALID (instant; new rows are checked), then validate it separately; VALIDATE takes SHARE "
             "UPDATE EXCLUSIVE, so reads and writes continue:\n" +
                 staged_sql(a.table, name_or(k.name, a.table, {}, "check"), expr) + plan_line(),
             where(c));
  });
  each<AddColumn>(ctx, [&](const Change& c, const AddColumn& a) {
    if (!existing(ctx, a.table)) return;
    // Postgres checks an inline CHECK against every existing row, even when the new column is NULL in
    // all of them (ADD COLUMN x int CHECK (x IS NOT NULL) fails on a table with rows).
    bool has_default = a.column.default_expr && !a.column.default_expr->is_null_constant;
    for (const Constraint& k : a.column.constraints) {
      if (k.kind != ConstraintKind::Check || k.not_valid) continue;
      std::string expr = k.check ? k.check->sql : "...";
      std::string add = "  ALTER TABLE " + quote_name(a.table) + " ADD COLUMN " + quote_ident(a.column.name) + " " +
                        a.column.type.str() + (has_default ? " DEFAULT " + a.column.default_expr->sql : "") + ";\n";
      r.report("adding column " + tick(a.table, a.column.name) + (has_default ? " with a default" : "") +
                   " and an inline CHECK scans the whole table to check every row while it " +
                   lock_on(ctx, c, a.table) + ": all reads and writes wait for the scan",
               "Add the column without the CHECK, then add the CHECK NOT VALID and validate it separately:\n" + add +
                   staged_sql(a.table, name_or(k.name, a.table, {a.column.name}, "check"), expr) + plan_line(),
               k.location >= 0 ? k.location : where(c));
    }
  });
}

}  // namespace

extern const Rule rule_adding_check_constraint = {
    .id = "adding-check-constraint",
    .category = Category::Locking,
    .severity = Severity::Error,
    .summary = "ADD CHECK without NOT VALID on an existing table",
    .why =
        "Adding a CHECK constraint verifies every existing row while holding ACCESS EXCLUSIVE: no query on the "
        "table runs until the scan ends.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes) for the whole scan.",
    .instead =
        "`ALTER TABLE t ADD CONSTRAINT c CHECK (expr) NOT VALID;` then, in a separate transaction, "
        "`ALTER TABLE t VALIDATE CONSTRAINT c;` (SHARE UPDATE EXCLUSIVE: traffic continues).",
    .bad =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0);",
    .good =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;",
    .check = check,
};

}  // namespace pgstage::rules
