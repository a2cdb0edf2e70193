#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace adding_primary_key {

std::string staged_sql(const QualifiedName& t, const std::string& name, const std::vector<std::string>& cols,
                       const std::vector<std::string>& index_cols, bool build_index) {
  std::string s;
  for (auto& col : cols) {
    std::string cn = t.name + "_" + col + "_not_null";
    s += "  ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(cn) + " CHECK (" + quote_ident(col) +
         " IS NOT NULL) NOT VALID;\n  ALTER TABLE " + quote_name(t) + " VALIDATE CONSTRAINT " + quote_ident(cn) +
         ";\n  ALTER TABLE " + quote_name(t) + " ALTER COLUMN " + quote_ident(col) + " SET NOT NULL;\n";
  }
  if (build_index)
    s += "  CREATE UNIQUE INDEX CONCURRENTLY " + quote_ident(name) + " ON " + quote_name(t) + " (" +
         column_list_sql(index_cols) + ");\n";
  return s + "  ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(name) + " PRIMARY KEY USING INDEX " +
         quote_ident(name) + ";";
}

// Columns of `cols` that the catalog does not know to be NOT NULL.
std::vector<std::string> nullable(const StatementContext& ctx, const QualifiedName& t,
                                  const std::vector<std::string>& cols) {
  std::vector<std::string> out;
  for (auto& c : cols) {
    const CatalogColumn* col = known_column(ctx, t, c);
    if (!col || !col->not_null) out.push_back(c);
  }
  return out;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AddConstraint>(ctx, [&](const Change& c, const AddConstraint& a) {
    const Constraint& k = a.constraint;
    if (k.kind != ConstraintKind::PrimaryKey) return;
    std::string name = name_or(k.name, a.table, {}, "pkey");
    if (!existing(ctx, a.table)) {
      auto p = k.using_index.empty() ? populated_new_table(ctx, c, a.table) : std::nullopt;
      if (!p) return;
      r.report(Reporter::Report{
          "adding PRIMARY KEY on " + tick(a.table) + " (" + column_list_display(k.columns) +
              ") builds its index over " + p->rows() + " and checks the columns for NULL" + p->consequence(),
          (p->held.empty() ? p->lone_help() + "prove" : std::string("Prove")) +
              " the columns NOT NULL, build the unique index concurrently, then attach it:\n" +
              staged_sql(a.table, name, nullable(ctx, a.table, k.columns), k.columns, true),
          where(c), p->severity(Severity::Error), std::nullopt});
      return;
    }
    if (k.using_index.empty()) {
      r.report("adding PRIMARY KEY on " + tick(a.table) + " (" + column_list_display(k.columns) +
                   ") builds its index and checks the columns for NULL while it " + lock_on(ctx, c, a.table) +
                   ": all reads and writes wait for the whole build",
               "Prove the columns NOT NULL without blocking, build the unique index concurrently, then attach it:\n" +
                   staged_sql(a.table, name, nullable(ctx, a.table, k.columns), k.columns, true) + plan_line(),
               where(c));
      return;
    }
    std::vector<std::string> cols;
    if (const CatalogIndex* idx = ctx.catalog.index(QualifiedName{a.table.schema, k.using_index})) cols = idx->columns;
    std::vector<std::string> open_cols = nullable(ctx, a.table, cols);
    if (!cols.empty() && open_cols.empty()) return;
    std::string which = cols.empty() ? "the index's columns are not known, and if any is nullable Postgres"
                                     : "column(s) " + column_list_display(open_cols) + " are nullable, so Postgres";
    r.report("adding PRIMARY KEY USING INDEX `" + display_ident(k.using_index) + "` on " + tick(a.table) + ": " +
                 which + " sets them NOT NULL with a full scan while it " + lock_on(ctx, c, a.table),
             "Make the columns NOT NULL first through a validated CHECK (no long lock on PG 12+), then attach the "
             "index:\n" +
                 staged_sql(a.table, k.using_index, open_cols, cols, false) + plan_line(),
             where(c));
  });
  each<AddColumn>(ctx, [&](const Change& c, const AddColumn& a) {
    if (!existing(ctx, a.table) || !a.column.primary_key) return;
    r.report("adding column " + tick(a.table, a.column.name) + " as PRIMARY KEY builds a unique index while it " +
                 lock_on(ctx, c, a.table) + ": all reads and writes wait for the whole build",
             "Add the column, fill it, then build the index concurrently and attach it with "
             "`ADD CONSTRAINT ... PRIMARY KEY USING INDEX`." +
                 plan_line(),
             where(c));
  });
}

}  // namespace adding_primary_key

extern const Rule rule_adding_primary_key = {
    .id = "adding-primary-key",
    .category = Category::Locking,
    .severity = Severity::Error,
    .summary =
        "ADD PRIMARY KEY without USING INDEX, or USING INDEX on nullable columns; on a new table filled from "
        "others, a warning unless a table in use stays locked during the build",
    .why =
        "Adding a primary key builds a unique index and checks the columns for NULL while holding ACCESS "
        "EXCLUSIVE. With USING INDEX the index exists already, but nullable columns are still set NOT NULL "
        "with a full scan under the same lock.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes) for the index build or the NOT NULL scan.",
    .instead =
        "Make the columns NOT NULL via `CHECK (c IS NOT NULL) NOT VALID` + `VALIDATE` + `SET NOT NULL`, "
        "`CREATE UNIQUE INDEX CONCURRENTLY i ON t (c);`, then `ALTER TABLE t ADD CONSTRAINT i PRIMARY KEY "
        "USING INDEX i;`.",
    .bad =
        "CREATE TABLE events (id bigint NOT NULL, payload text);\n-- pgstage:history-end\n"
        "ALTER TABLE events ADD PRIMARY KEY (id);",
    .good =
        "CREATE TABLE events (id bigint NOT NULL, payload text);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);\n-- pgstage:history-end\n"
        "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
    .check = adding_primary_key::check,
};

}  // namespace pgstage::rules
