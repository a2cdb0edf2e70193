#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace adding_rewriting_column {

std::string what_rewrites(const StatementContext& ctx, const ColumnDef& col) {
  if (col.type.is_serial) return col.type.str() + " (its nextval() default is volatile and fills every row)";
  if (col.identity) return "an identity column (every existing row gets a sequence value)";
  if (col.generated_stored) return "a stored generated column (computed and written for every row)";
  const CatalogObject* d = ctx.catalog.object("domain", QualifiedName{col.type.schema, col.type.name});
  if (d && d->constrained)
    return "domain type `" + display_ident(col.type.name) + "` with constraints (checked against every row)";
  return {};
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AddColumn>(ctx, [&](const Change& c, const AddColumn& a) {
    if (!existing(ctx, a.table)) return;
    std::string why = what_rewrites(ctx, a.column);
    if (why.empty()) return;
    std::string t = quote_name(a.table), cn = quote_ident(a.column.name);
    std::string base = a.column.type.str();
    if (a.column.type.is_serial)
      base = a.column.type.name == "int8" ? "bigint" : a.column.type.name == "int2" ? "smallint" : "integer";
    r.report("adding column " + tick(a.table, a.column.name) + " as " + why + " rewrites the whole table while it " +
                 lock_on(ctx, c, a.table),
             "Add a plain nullable column, set its default or trigger for new rows, backfill existing rows in "
             "batches, then add the constraint:\n  ALTER TABLE " +
                 t + " ADD COLUMN " + cn + " " + base + ";",
             where(c));
  });
}

}  // namespace adding_rewriting_column

extern const Rule rule_adding_rewriting_column = {
    .id = "adding-rewriting-column",
    .category = Category::Rewrite,
    .severity = Severity::Error,
    .summary = "ADD COLUMN of serial/bigserial, GENERATED ... STORED, identity, or a constrained domain",
    .why =
        "These columns need a value computed for every existing row (a sequence value, a generated expression, "
        "a domain check), so Postgres rewrites or scans the whole table while it holds ACCESS EXCLUSIVE.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes) for the whole rewrite.",
    .instead =
        "Add a plain nullable column, fill new rows with a default (`SET DEFAULT nextval('seq')`) or a "
        "trigger, backfill existing rows in batches, then add NOT NULL through a validated CHECK.",
    .bad = "CREATE TABLE events (payload text);\n-- pgstage:history-end\nALTER TABLE events ADD COLUMN id bigserial;",
    .good = "CREATE TABLE events (payload text);\n-- pgstage:history-end\nALTER TABLE events ADD COLUMN id bigint;",
    .check = adding_rewriting_column::check,
};

}  // namespace pgstage::rules
