// The ADD COLUMN building block, shared by the recipes of the rules that report an added column:
// adding-required-column, adding-column-volatile-default, and the inline constraints of
// adding-foreign-key, adding-check-constraint, adding-unique-constraint and adding-primary-key.
#include <algorithm>

#include "analyzer/rule_api.h"
#include "analyzer/types.h"
#include "planner/context.h"
#include "planner/sql.h"

namespace pgstage::planner::detail {

namespace {

bool has_extra_constraints(const ColumnDef& col) {
  return std::any_of(col.constraints.begin(), col.constraints.end(),
                     [](const Constraint& k) { return k.kind != ConstraintKind::NotNull; }) ||
         col.primary_key || col.unique;
}

void fill_trigger(Ctx& cx, const QualifiedName& t, const std::string& column, const std::string& expr,
                  const std::string& rule, int stmt) {
  QualifiedName fn = trigger_function_name(t, column, "fill");
  std::string trg = trigger_name(column, "fill");
  std::string c = quote_ident(column);
  cx.expand.push_back(make_step(
      cx, Phase::Expand, "create-trigger",
      "Fill " + who(t, column) +
          " on INSERT and UPDATE while the old release, which does not know the column, "
          "still writes rows",
      create_trigger_sql(t, trg, fn,
                         "  IF NEW." + c + " IS NULL THEN\n    NEW." + c + " := " + row_expr(expr) + ";\n  END IF;\n"),
      {t}, rule, stmt));
  cx.contract.push_back(make_step(cx, Phase::Contract, "drop-trigger",
                                  "Drop the fill trigger: only the new release runs now, and it sets the column",
                                  drop_trigger_sql(t, trg, fn), {t}, rule, stmt));
}

// Inline constraints of an added column that can be split off: FOREIGN KEY and CHECK (added NOT
// VALID right after the column, validated later). PRIMARY KEY, UNIQUE and EXCLUDE cannot.
bool splittable_constraints(const ColumnDef& col) {
  if (col.primary_key || col.unique) return false;
  return std::all_of(col.constraints.begin(), col.constraints.end(), [](const Constraint& k) {
    return k.kind == ConstraintKind::NotNull || k.kind == ConstraintKind::ForeignKey ||
           (k.kind == ConstraintKind::Check && k.check);
  });
}

// The column's inline FOREIGN KEY and CHECK constraints as ADD CONSTRAINT ... NOT VALID steps in
// expand (new rows are checked from then on) and a VALIDATE step for each, in `validate_phase`
// (contract when a backfill must fill the column first).
void split_constraints(Ctx& cx, const QualifiedName& t, const ColumnDef& col, Phase validate_phase,
                       const std::string& rule, int stmt) {
  for (auto& k : col.constraints) {
    if (k.kind != ConstraintKind::ForeignKey && k.kind != ConstraintKind::Check) continue;
    bool fk = k.kind == ConstraintKind::ForeignKey;
    std::string name;
    std::string def = inline_constraint_sql(t, col.name, k, name);
    std::string add = "ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(name) + " " + def + " NOT VALID";
    cx.expand.push_back(make_step(cx, Phase::Expand, "add-constraint-not-valid",
                                  "Add the column's inline " + std::string(fk ? "foreign key " : "CHECK ") +
                                      display_ident(name) +
                                      " NOT VALID: new rows are checked, existing rows are not scanned (brief lock)",
                                  add, {t}, rule, stmt));
    Step v = make_step(cx, validate_phase, "validate-constraint",
                       "VALIDATE CONSTRAINT " + display_ident(name) +
                           ": scans the existing rows under SHARE UPDATE EXCLUSIVE; reads and writes continue",
                       "ALTER TABLE " + quote_name(t) + " VALIDATE CONSTRAINT " + quote_ident(name), {t}, rule, stmt);
    (validate_phase == Phase::Expand ? cx.expand : cx.contract).push_back(std::move(v));
  }
}

}  // namespace

bool stage_add_column(Ctx& cx, const StatementInput& in, const Change& c, std::string_view asked) {
  const AddColumn& a = *c.as<AddColumn>();
  if (!existing(cx, a.table)) return false;
  const ColumnDef& col = a.column;
  bool has_default = col.default_expr && !col.default_expr->is_null_constant;
  bool special = col.identity || col.generated_stored || col.type.is_serial;
  bool volatile_default = has_default && !special &&
                          (col.default_expr->volatility == Volatility::Volatile || cx.opts.settings.pg_version < 11);
  bool required = col.not_null && !has_default && !special;
  // A column that cannot be staged in this statement is refused whichever of its findings asks.
  if (!volatile_default && !required) {
    if (!has_extra_constraints(col) || special) return false;
    if (!splittable_constraints(col) || col.not_null) {
      cx.fail(at(in, c), "column " + who(a.table, col.name) +
                             " is added with an inline PRIMARY KEY, UNIQUE or EXCLUDE constraint (or NOT NULL with a "
                             "default and a constraint), which locks and scans the existing table; split it: ADD "
                             "COLUMN in one statement, then the constraint in its own statement, and plan again");
      return true;
    }
    // A nullable column with a constant default or none: add it bare (catalog-only), then each
    // constraint NOT VALID and validated online.
    std::string rule = "adding-foreign-key";
    for (auto& k : col.constraints)
      if (k.kind == ConstraintKind::Check) rule = "adding-check-constraint";
    if (rule != asked) return false;
    cx.expand.push_back(make_step(
        cx, Phase::Expand, "add-column",
        "Add " + who(a.table, col.name) + " without its inline constraints (catalog-only); they follow NOT VALID",
        "ALTER TABLE " + quote_name(a.table) + " ADD COLUMN " + (a.if_not_exists ? "IF NOT EXISTS " : "") +
            quote_ident(col.name) + " " + col.type.sql() + (has_default ? " DEFAULT " + col.default_expr->sql : ""),
        {a.table}, rule, in.index));
    split_constraints(cx, a.table, col, Phase::Expand, rule, in.index);
    return true;
  }
  std::string rule = required ? "adding-required-column" : "adding-column-volatile-default";
  if (has_extra_constraints(col) && !splittable_constraints(col)) {
    cx.fail(at(in, c), rule + ": column " + who(a.table, col.name) +
                           " has an inline PRIMARY KEY, UNIQUE or EXCLUDE constraint; split it into ADD COLUMN and a "
                           "separate ADD CONSTRAINT (or CREATE UNIQUE INDEX CONCURRENTLY), then plan again");
    return true;
  }
  if (rule != asked) return false;
  std::string value;
  if (required) {
    auto fill = fill_of(cx, in, col.name);
    if (!cx.error.empty()) return true;
    if (!fill) {
      cx.fail(at(in, c), "adding-required-column: no value for the existing rows of " + who(a.table, col.name) +
                             " (NOT NULL, no default). Add a comment `-- pgstage:fill <expression>` on the line above "
                             "the statement, e.g. `-- pgstage:fill ''` or `-- pgstage:fill lower(email)` (one per "
                             "column when the statement adds several: `-- pgstage:fill " +
                             display_ident(col.name) + " = <expression>`); rows written by the old release get the "
                             "same value");
      return true;
    }
    value = *fill;
  } else {
    value = col.default_expr->sql;
  }
  auto key = cx.key_of(a.table, at(in, c), rule);
  if (key.empty()) return true;
  const QualifiedName& t = a.table;
  std::string qc = quote_ident(col.name);
  cx.expand.push_back(make_step(cx, Phase::Expand, "add-column",
                                "Add " + who(t, col.name) +
                                    " as a nullable column without default: catalog-only, "
                                    "the old release keeps working",
                                add_nullable_column_sql(t, col.name, col.type), {t}, rule, in.index));
  split_constraints(cx, t, col, Phase::Contract, rule, in.index);  // validated after the backfill
  if (required) {
    fill_trigger(cx, t, col.name, value, rule, in.index);
  } else {
    cx.expand.push_back(make_step(cx, Phase::Expand, "set-default",
                                  "SET DEFAULT " + value + " for new rows (catalog-only; existing rows are backfilled)",
                                  "ALTER TABLE " + quote_name(t) + " ALTER COLUMN " + qc + " SET DEFAULT " + value, {t},
                                  rule, in.index));
  }
  if (!required) keep_functions(cx, col.default_expr->unknown_functions);
  cx.backfill.push_back(make_backfill(
      cx, Phase::Backfill, "Fill " + who(t, col.name) + " in existing rows with " + value + ", in batches by key",
      BackfillSpec{t, key, qc + " = (" + value + ")", qc + " IS NULL", cx.opts.batch_size}, rule, in.index));
  if (col.not_null) not_null_via_check(cx, t, col.name, rule, in.index);
  if (required) std::rotate(cx.contract.end() - 5, cx.contract.end() - 4, cx.contract.end());  // trigger last
  cx.backfilled_tables.push_back(t);
  return true;
}

}  // namespace pgstage::planner::detail
