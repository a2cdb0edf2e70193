#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace adding_column_volatile_default {

std::string functions_list(const std::vector<std::string>& fns) {
  std::string out;
  for (size_t i = 0; i < fns.size(); ++i) out += (i ? ", " : "") + std::string("`") + fns[i] + "()`";
  return out;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AddColumn>(ctx, [&](const Change& c, const AddColumn& a) {
    const ColumnDef& col = a.column;
    if (!col.default_expr || col.default_expr->is_null_constant) return;
    if (col.type.is_serial || col.identity || col.generated_stored) return;  // adding-rewriting-column
    if (!existing(ctx, a.table)) return;
    const Expr& e = *col.default_expr;
    bool old_pg = ctx.settings.pg_version < 11;
    if (!old_pg && e.volatility != Volatility::Volatile) return;
    std::string reason;
    if (old_pg)
      reason = "before PostgreSQL 11 (pg_version " + std::to_string(ctx.settings.pg_version) +
               ") any non-null default is written into every row";
    else if (!e.unknown_functions.empty())
      reason = functions_list(e.unknown_functions) +
               " is not a built-in function, so pgstage counts it as volatile (a volatile default is evaluated "
               "for every row)";
    else
      reason = "`" + e.sql + "` is volatile, so Postgres evaluates it for every existing row";
    std::string t = quote_name(a.table), cn = quote_ident(col.name);
    r.report("adding column " + tick(a.table, col.name) + " with DEFAULT " + e.sql +
                 " rewrites the whole table while it " + lock_on(ctx, c, a.table) + ": " + reason,
             "Add the column without the default, set the default for new rows, then backfill existing rows in "
             "batches:\n  ALTER TABLE " +
                 t + " ADD COLUMN " + cn + " " + col.type.str() + ";\n  ALTER TABLE " + t + " ALTER COLUMN " + cn +
                 " SET DEFAULT " + e.sql + ";\n  UPDATE " + t + " SET " + cn + " = " + e.sql +
                 " WHERE <key range> AND " + cn + " IS NULL;  -- in batches" + plan_line(),
             where(c));
  });
}

}  // namespace adding_column_volatile_default

extern const Rule rule_adding_column_volatile_default = {
    .id = "adding-column-volatile-default",
    .category = Category::Rewrite,
    .severity = Severity::Error,
    .summary = "ADD COLUMN ... DEFAULT <volatile expression> (any non-null default before PG 11)",
    .why =
        "Since PostgreSQL 11 a constant or stable default (`0`, `'x'`, `now()`, `CURRENT_TIMESTAMP`) is stored "
        "once in the catalog. A volatile default (`random()`, `gen_random_uuid()`, `clock_timestamp()`, an "
        "unknown user function) must be computed per row, so Postgres rewrites the table under ACCESS EXCLUSIVE. "
        "Before PostgreSQL 11 every non-null default rewrites.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes) for the whole rewrite.",
    .instead =
        "`ALTER TABLE t ADD COLUMN c <type>;` then `ALTER TABLE t ALTER COLUMN c SET DEFAULT <expr>;` (new "
        "rows), then backfill existing rows in batches.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();\n"
        "ALTER TABLE users ADD COLUMN token uuid;\n"
        "ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();",
    .check = adding_column_volatile_default::check,
};

}  // namespace pgstage::rules
