#include "rules/core_helpers.h"
#include "rules/rule_support.h"

namespace pgstage::rules {
namespace adding_check_constraint {

std::string staged_sql(const QualifiedName& t, const std::string& name, const std::string& expr) {
  return "  ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(name) + " CHECK (" + expr +
         ") NOT VALID;\n  ALTER TABLE " + quote_name(t) + " VALIDATE CONSTRAINT " + quote_ident(name) + ";";
}

// CHECK (col IS NOT NULL) NOT VALID skips the existing rows but checks every new one: when `col` was
// added in this change set, the running release does not write it, so its INSERTs fail.
void not_valid_on_new_column(const StatementContext& ctx, const Change& c, const AddConstraint& a, Reporter& r) {
  const Constraint& k = a.constraint;
  if (!k.check || !existing(ctx, a.table)) return;
  std::string col = not_null_column_of_check(k.check->sql);
  const CatalogTable* t = ctx.catalog.table(a.table);
  const CatalogColumn* cc = t && !col.empty() ? t->column(col) : nullptr;
  if (!cc || !cc->created_in_review || cc->default_expr || cc->identity || cc->generated) return;
  r.report(Reporter::Report{
      "CHECK (" + k.check->sql + ") NOT VALID on " + tick(a.table) +
          ": NOT VALID skips the rows already there but checks every new one, and the release running during "
          "the deploy does not write " +
          tick(a.table, col) + " (added in this change set), so its INSERTs leave it NULL and fail",
      "Give " + tick(a.table, col) +
          " a default in the ADD COLUMN, or add the constraint in the next release's migration, once the code "
          "that writes the column is deployed (`pgstage plan` stages a required column that way).",
      where(c), Severity::Error, std::nullopt});
}

// ALTER DOMAIN ... ADD CONSTRAINT (without NOT VALID) and SET NOT NULL check every column of the
// domain, in every table that has one, each under SHARE (blocks writes).
void domain_validation(const StatementContext& ctx, const Change& c, const AlterDomain& d, Reporter& r) {
  using A = AlterDomain::Action;
  if (!((d.action == A::AddConstraint && !d.not_valid) || d.action == A::SetNotNull)) return;
  std::vector<QualifiedName> tables;
  for (auto& t : tables_using_type(ctx.catalog, d.domain))
    if (existing(ctx, t)) tables.push_back(t);
  if (tables.empty()) return;
  std::string what = d.action == A::SetNotNull ? std::string("SET NOT NULL on domain ")
                                               : "adding " + std::string(d.check ? "CHECK" : "NOT NULL") +
                                                     " constraint " +
                                                     (d.constraint.empty() ? "" : "`" + display_ident(d.constraint) + "` ") +
                                                     "to domain ";
  std::string name = d.constraint.empty() ? "<constraint>" : quote_ident(d.constraint);
  r.report(what + tick(d.domain) + " checks every column of that domain, in " + tick_list(tables) +
               ", while it holds a SHARE lock (blocks writes) on " + (tables.size() == 1 ? "it" : "each") +
               ": writes wait for the scans",
           d.action == A::SetNotNull
               ? "Add a CHECK (VALUE IS NOT NULL) constraint NOT VALID instead, then validate it at a quiet time "
                 "(on Postgres 15 validating a domain constraint still takes SHARE on these tables):\n  ALTER DOMAIN " +
                     quote_name(d.domain) + " ADD CONSTRAINT " + quote_ident(d.domain.name + "_not_null") +
                     " CHECK (VALUE IS NOT NULL) NOT VALID;"
               : "Add it NOT VALID (values written from now on are checked), then validate it at a quiet time: on "
                 "Postgres 15 validating a domain constraint still takes SHARE on these tables. For a large table, "
                 "a table-level CHECK NOT VALID + VALIDATE (SHARE UPDATE EXCLUSIVE) keeps writes going:\n  ALTER "
                 "DOMAIN " +
                     quote_name(d.domain) + " ADD CONSTRAINT " + name + " CHECK (...) NOT VALID;\n  ALTER DOMAIN " +
                     quote_name(d.domain) + " VALIDATE CONSTRAINT " + name + ";",
           where(c));
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AlterDomain>(ctx, [&](const Change& c, const AlterDomain& d) { domain_validation(ctx, c, d, r); });
  each<AddConstraint>(ctx, [&](const Change& c, const AddConstraint& a) {
    const Constraint& k = a.constraint;
    if (k.kind == ConstraintKind::Check && k.not_valid) not_valid_on_new_column(ctx, c, a, r);
    if (k.kind != ConstraintKind::Check || k.not_valid) return;
    std::string expr = k.check ? k.check->sql : "...";
    if (!existing(ctx, a.table)) {
      auto p = populated_new_table(ctx, c, a.table);
      if (!p) return;
      r.report(Reporter::Report{
          "adding CHECK constraint " + (k.name.empty() ? std::string() : "`" + display_ident(k.name) + "` ") +
              "on " + tick(a.table) + " without NOT VALID checks " + p->rows() + p->consequence(),
          (p->held.empty() ? p->lone_help() + "add" : std::string("Add")) +
              " it NOT VALID (instant), then validate it separately (SHARE UPDATE EXCLUSIVE):\n" +
              staged_sql(a.table, name_or(k.name, a.table, {}, "check"), expr),
          where(c), p->severity(Severity::Error), std::nullopt});
      return;
    }
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

}  // namespace adding_check_constraint

extern const Rule rule_adding_check_constraint = {
    .id = "adding-check-constraint",
    .category = Category::Locking,
    .severity = Severity::Error,
    .summary =
        "ADD CHECK without NOT VALID on an existing table, a domain constraint that scans the tables using it, or "
        "a NOT VALID NOT NULL check on a column the running release does not write; on a new table filled from "
        "others, a warning unless a table in use stays locked during the scan",
    .why =
        "Adding a CHECK constraint verifies every existing row while holding ACCESS EXCLUSIVE: no query on the "
        "table runs until the scan ends. ALTER DOMAIN ... ADD CONSTRAINT (or SET NOT NULL) checks every column of "
        "the domain in every table, under SHARE (writes wait). NOT VALID skips existing rows only: a check "
        "that NULL fails, on a column added in the same change set, rejects the running release's INSERTs.",
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
    .check = adding_check_constraint::check,
};

}  // namespace pgstage::rules
