#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace adding_unique_constraint {

std::string staged_sql(const QualifiedName& t, const std::string& name, const std::vector<std::string>& cols) {
  return "  CREATE UNIQUE INDEX CONCURRENTLY " + quote_ident(name) + " ON " + quote_name(t) + " (" +
         column_list_sql(cols) + ");\n  ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(name) +
         " UNIQUE USING INDEX " + quote_ident(name) + ";";
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AddConstraint>(ctx, [&](const Change& c, const AddConstraint& a) {
    const Constraint& k = a.constraint;
    if (k.kind != ConstraintKind::Unique || !k.using_index.empty()) return;
    if (!existing(ctx, a.table)) {
      auto p = populated_new_table(ctx, c, a.table);
      if (!p) return;
      r.report(Reporter::Report{
          "adding UNIQUE constraint " + (k.name.empty() ? std::string() : "`" + display_ident(k.name) + "` ") +
              "on " + tick(a.table) + " (" + column_list_display(k.columns) + ") builds its index over " +
              p->rows() + p->consequence(),
          (p->held.empty() ? p->lone_help() + "build" : std::string("Build")) +
              " the unique index concurrently (outside a transaction block), then attach it:\n" +
              staged_sql(a.table, name_or(k.name, a.table, k.columns, "key"), k.columns),
          where(c), p->severity(Severity::Error), std::nullopt});
      return;
    }
    r.report("adding UNIQUE constraint " + (k.name.empty() ? std::string() : "`" + display_ident(k.name) + "` ") +
                 "on " + tick(a.table) + " (" + column_list_display(k.columns) + ") builds its index while it " +
                 lock_on(ctx, c, a.table) + ": all reads and writes wait for the whole build",
             "Build the unique index concurrently (outside a transaction block), then attach it, which is "
             "instant:\n" +
                 staged_sql(a.table, name_or(k.name, a.table, k.columns, "key"), k.columns) + plan_line(),
             where(c));
  });
  each<AddColumn>(ctx, [&](const Change& c, const AddColumn& a) {
    if (!existing(ctx, a.table) || !a.column.unique) return;
    int loc = where(c);
    for (const Constraint& k : a.column.constraints)
      if (k.kind == ConstraintKind::Unique && k.location >= 0) loc = k.location;
    r.report("adding column " + tick(a.table, a.column.name) + " with UNIQUE builds a unique index while it " +
                 lock_on(ctx, c, a.table) + ": all reads and writes wait for the whole build",
             "Add the column without UNIQUE, then build the index concurrently and attach it:\n  ALTER TABLE " +
                 quote_name(a.table) + " ADD COLUMN " + quote_ident(a.column.name) + " " + a.column.type.str() + ";\n" +
                 staged_sql(a.table, name_or("", a.table, {a.column.name}, "key"), {a.column.name}) + plan_line(),
             loc);
  });
}

}  // namespace adding_unique_constraint

extern const Rule rule_adding_unique_constraint = {
    .id = "adding-unique-constraint",
    .category = Category::Locking,
    .severity = Severity::Error,
    .summary =
        "ADD UNIQUE (or ADD COLUMN ... UNIQUE) without USING INDEX on an existing table, or on a new table filled "
        "from others (a warning unless a table in use stays locked during the build)",
    .why =
        "Adding a UNIQUE constraint builds its index while holding ACCESS EXCLUSIVE: no query on the table runs "
        "until the build ends.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes) for the whole index build.",
    .instead =
        "`CREATE UNIQUE INDEX CONCURRENTLY i ON t (c);` (outside a transaction block), then "
        "`ALTER TABLE t ADD CONSTRAINT i UNIQUE USING INDEX i;` (instant).",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- pgstage:history-end\n"
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n-- pgstage:history-end\n"
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
    .check = adding_unique_constraint::check,
};

}  // namespace pgstage::rules
