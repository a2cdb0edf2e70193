#include "rules/core_helpers.h"
#include "rules/rule_support.h"

namespace pgstage::rules {
namespace adding_foreign_key {

std::string staged_sql(const QualifiedName& t, const Constraint& k) {
  std::string name = name_or(k.name, t, k.columns, "fkey");
  return "  ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(name) + " FOREIGN KEY (" +
         column_list_sql(k.columns) + ") REFERENCES " + quote_name(k.ref_table) +
         (k.ref_columns.empty() ? std::string() : " (" + column_list_sql(k.ref_columns) + ")") +
         " NOT VALID;\n  ALTER TABLE " + quote_name(t) + " VALIDATE CONSTRAINT " + quote_ident(name) + ";";
}

// "holds a SHARE ROW EXCLUSIVE lock (blocks writes) on `t` and ... on `ref`", naming the strongest
// lock held on each: an earlier ADD COLUMN of the same statement or transaction holds ACCESS EXCLUSIVE.
std::string blocks(const StatementContext& ctx, const Change& c, const QualifiedName& t, const QualifiedName& ref) {
  if (Catalog::same(t, ref))  // a self-reference (parent_id -> id): one table, one lock
    return "holds " + a_lock(strongest_lock_on(ctx, c, t)) + " on " + tick(t);
  return "holds " + a_lock(strongest_lock_on(ctx, c, t)) + " on " + tick(t) + " and " +
         a_lock(strongest_lock_on(ctx, c, ref)) + " on " + tick(ref);
}

// "writes to both tables wait", or "reads and writes of `t` and writes to `ref` wait" when a lock held
// on one of them blocks reads too.
std::string waiting(const StatementContext& ctx, const Change& c, const QualifiedName& t, const QualifiedName& ref) {
  bool rt = blocks_reads(strongest_lock_on(ctx, c, t)), rr = blocks_reads(strongest_lock_on(ctx, c, ref));
  if (Catalog::same(t, ref)) return std::string(rt ? "reads and writes of " : "writes to ") + tick(t) + " wait";
  if (rt == rr) return std::string(rt ? "reads and writes of" : "writes to") + " both tables wait";
  auto what = [](bool reads) { return std::string(reads ? "reads and writes of " : "writes to "); };
  return what(rt) + tick(t) + " and " + what(rr) + tick(ref) + " wait";
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AddConstraint>(ctx, [&](const Change& c, const AddConstraint& a) {
    const Constraint& k = a.constraint;
    if (k.kind != ConstraintKind::ForeignKey || k.not_valid) return;
    if (!existing(ctx, a.table)) {
      // A new table filled from others: validating scans the copied rows while the referenced table,
      // when the running release uses it, is locked against writes (an error); otherwise a warning.
      auto p = populated_new_table(ctx, c, a.table);
      if (!p) return;
      r.report(Reporter::Report{
          "adding foreign key " + (k.name.empty() ? std::string() : "`" + display_ident(k.name) + "` ") + "on " +
              tick(a.table) + " -> " + tick(k.ref_table) + " without NOT VALID validates " + p->rows() +
              p->consequence(),
          (p->held.empty() ? p->lone_help() + "add" : std::string("Add")) +
              " it NOT VALID (instant), then validate it separately; VALIDATE takes SHARE UPDATE EXCLUSIVE, so "
              "writes to " +
              tick(k.ref_table) + " continue:\n" + staged_sql(a.table, k),
          where(c), p->severity(Severity::Error), std::nullopt});
      return;
    }
    r.report("adding foreign key " + (k.name.empty() ? std::string() : "`" + display_ident(k.name) + "` ") + "on " +
                 tick(a.table) + " (" + column_list_display(k.columns) + ") -> " + tick(k.ref_table) +
                 " without NOT VALID scans all of " + tick(a.table) + " to validate it while it " +
                 blocks(ctx, c, a.table, k.ref_table) + ": " + waiting(ctx, c, a.table, k.ref_table) +
                 " for the whole scan",
             "Add it NOT VALID (only new rows are checked, instant), then validate it separately; VALIDATE takes "
             "SHARE UPDATE EXCLUSIVE, so reads and writes continue:\n" +
                 staged_sql(a.table, k) + plan_line(),
             where(c));
  });
  // Postgres validates inline REFERENCES of ADD COLUMN only when a column of the statement has a
  // default or the statement also adds a table-level foreign key; otherwise every value is NULL.
  bool validates = false;
  for (const Change& c : ctx.lowered.changes) {
    if (auto* a = c.as<AddColumn>(); a && adding_column_validates_foreign_key(a->column)) validates = true;
    if (auto* a = c.as<AddConstraint>(); a && a->constraint.kind == ConstraintKind::ForeignKey) validates = true;
  }
  each<AddColumn>(ctx, [&](const Change& c, const AddColumn& a) {
    if (!existing(ctx, a.table) || !validates) return;
    for (const Constraint& k : a.column.constraints) {
      if (k.kind != ConstraintKind::ForeignKey || k.not_valid) continue;
      Constraint fk = k;
      if (fk.columns.empty()) fk.columns = {a.column.name};
      r.report("adding column " + tick(a.table, a.column.name) + " with an inline REFERENCES " + tick(k.ref_table) +
                   " and a default validates the foreign key against every row while it " +
                   blocks(ctx, c, a.table, k.ref_table) + ": " + waiting(ctx, c, a.table, k.ref_table),
               "Add the column without REFERENCES, then add the foreign key NOT VALID and validate it separately:\n"
               "  ALTER TABLE " +
                   quote_name(a.table) + " ADD COLUMN " + quote_ident(a.column.name) + " " + a.column.type.str() +
                   ";\n" + staged_sql(a.table, fk) + plan_line(),
               k.location >= 0 ? k.location : where(c));
    }
  });
}

}  // namespace adding_foreign_key

extern const Rule rule_adding_foreign_key = {
    .id = "adding-foreign-key",
    .category = Category::Locking,
    .severity = Severity::Error,
    .summary =
        "ADD FOREIGN KEY (or inline REFERENCES on a new column) without NOT VALID on an existing table, or on a "
        "new table filled from others (a warning unless a table in use stays locked during the scan)",
    .why =
        "Adding a foreign key checks every existing row while holding SHARE ROW EXCLUSIVE on both the table and "
        "the referenced table: writes to both wait for the whole scan.",
    .lock = "SHARE ROW EXCLUSIVE on the table and the referenced table (blocks writes to both) for the whole scan.",
    .instead =
        "`ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES p (id) NOT VALID;` then, in a separate "
        "transaction, `ALTER TABLE t VALIDATE CONSTRAINT fk;` (SHARE UPDATE EXCLUSIVE: traffic continues).",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n"
        "-- pgstage:history-end\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n"
        "-- pgstage:history-end\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
    .check = adding_foreign_key::check,
};

}  // namespace pgstage::rules
