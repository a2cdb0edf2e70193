// Recipes for column changes: required column, volatile default, rename, type change, NOT NULL, drop.
#include <algorithm>

#include "analyzer/rule_api.h"
#include "analyzer/types.h"
#include "planner/context.h"
#include "planner/sql.h"

namespace pgstage::planner::detail {

namespace {

std::string who(const QualifiedName& t, const std::string& c) { return display_name(t) + "." + display_ident(c); }

int at(const StatementInput& in, const Change& c) { return c.location >= 0 ? c.location : int(in.statement->begin); }

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

// Identity, generated and sequence-owned columns cannot be copied: the copy would lose what makes
// them special (and dropping the old column drops its sequence).
bool refuse_special(Ctx& cx, const QualifiedName& t, const CatalogColumn& c, const std::string& rule, int offset) {
  bool seq = c.default_expr && c.default_expr->sql.find("nextval") != std::string::npos;
  if (!c.identity && !c.generated && !c.type.is_serial && !seq) return false;
  cx.fail(offset, rule + ": column " + who(t, c.name) +
                      " is an identity, generated or sequence-backed column, which the recipe cannot copy to a new "
                      "column; stage this change by hand");
  return true;
}

}  // namespace

bool plan_add_column(Ctx& cx, const StatementInput& in, const Change& c) {
  const AddColumn& a = *c.as<AddColumn>();
  if (!existing(cx, a.table)) return false;
  const ColumnDef& col = a.column;
  bool has_default = col.default_expr && !col.default_expr->is_null_constant;
  bool special = col.identity || col.generated_stored || col.type.is_serial;
  bool volatile_default = has_default && !special &&
                          (col.default_expr->volatility == Volatility::Volatile || cx.opts.settings.pg_version < 11);
  bool required = col.not_null && !has_default && !special;
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

bool plan_rename_column(Ctx& cx, const StatementInput& in, const Change& c) {
  const RenameColumn& r = *c.as<RenameColumn>();
  if (!existing(cx, r.table)) return false;
  const std::string rule = "renaming-column";
  const QualifiedName& t = r.table;
  const CatalogColumn* old = cx.column_of(t, r.column, at(in, c), rule);
  if (!old) return true;
  if (old->generated) {
    cx.fail(at(in, c), rule + ": column " + who(t, r.column) +
                           " is a generated column, which a sync trigger cannot write; stage this rename by hand");
    return true;
  }
  auto key = cx.key_of(t, at(in, c), rule);
  if (key.empty()) return true;
  CatalogColumn oldc = *old;
  TypeName copy_type = oldc.type;
  copy_type.is_serial = false;  // the copy is a plain integer: the sequence stays with the old column
  std::string o = quote_ident(r.column), n = quote_ident(r.new_name);
  cx.expand.push_back(make_step(cx, Phase::Expand, "add-column",
                                "Add " + who(t, r.new_name) + " beside " + who(t, r.column) +
                                    " for the new release (nullable, catalog-only). It is a copy until contract, "
                                    "where the old column takes its name",
                                add_nullable_column_sql(t, r.new_name, copy_type), {t}, rule, in.index));
  QualifiedName fn = trigger_function_name(t, r.new_name, "sync");
  std::string trg = trigger_name(r.new_name, "sync");
  std::string body =
      "  IF TG_OP = 'INSERT' THEN\n"
      "    IF NEW." +
      n + " IS NULL THEN\n      NEW." + n + " := NEW." + o +
      ";\n"
      "    ELSE\n      NEW." +
      o + " := NEW." + n +
      ";\n    END IF;\n"
      "  ELSIF NEW." +
      n + " IS DISTINCT FROM OLD." + n + " THEN\n    NEW." + o + " := NEW." + n +
      ";\n"
      "  ELSIF NEW." +
      o + " IS DISTINCT FROM OLD." + o + " THEN\n    NEW." + n + " := NEW." + o +
      ";\n"
      "  END IF;\n";
  cx.expand.push_back(make_step(
      cx, Phase::Expand, "create-trigger",
      "Keep " + who(t, r.column) + " (old release) and " + who(t, r.new_name) +
          " (new release) equal: on INSERT the missing one is copied from the other, on UPDATE the changed one "
          "wins. A BEFORE trigger edits the row in place, so it never fires itself again. The old column's "
          "constraints, defaults and sequence keep applying to both releases' writes",
      create_trigger_sql(t, trg, fn, body), {t}, rule, in.index));
  // Copies of the column's indexes serve the new release's lookups (and ON CONFLICT) until
  // contract; they go with the copy there, and the originals follow the rename.
  std::vector<Step> unused;
  copy_indexes(cx, t, r.column, r.new_name, rule, in.index, at(in, c), unused, /*skip_expressions=*/true);
  if (!cx.error.empty()) return true;
  cx.backfill.push_back(make_backfill(
      cx, Phase::Backfill, "Copy " + who(t, r.column) + " into " + who(t, r.new_name) + " in batches by key",
      BackfillSpec{t, key, n + " = " + o, n + " IS NULL AND " + o + " IS NOT NULL", cx.opts.batch_size}, rule,
      in.index));
  std::string attr_exists = "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = " + regclass_literal(t) +
                            " AND attname = " + quote_literal(r.column) + " AND NOT attisdropped";
  PendingRename pr;
  pr.table = t, pr.from = r.column, pr.to = r.new_name;
  pr.kind = "rename-column";
  pr.description = "In one transaction: drop the sync trigger and the copy " + who(t, r.new_name) + ", and rename " +
                   who(t, r.column) + " to " + display_ident(r.new_name) +
                   " (catalog-only, brief ACCESS EXCLUSIVE). The column keeps its place, constraints, indexes, "
                   "default, comment, grants and statistics, and views over it follow";
  pr.core_sql = do_block("  IF EXISTS (" + attr_exists + ") THEN\n    DROP TRIGGER IF EXISTS " + quote_ident(trg) +
                         " ON " + quote_name(t) + ";\n    ALTER TABLE " + quote_name(t) + " DROP COLUMN IF EXISTS " +
                         n + ";\n    ALTER TABLE " + quote_name(t) + " RENAME COLUMN " + o + " TO " + n +
                         ";\n  END IF;\n") +
                ";\nDROP FUNCTION IF EXISTS " + quote_name(fn) + "()";
  add_swap_step(cx, std::move(pr), rule, in.index);
  cx.deferred_columns.push_back({t, r.column});  // the name is free only after contract
  cx.backfilled_tables.push_back(t);
  return true;
}

void add_swap_step(Ctx& cx, PendingRename pr, const std::string& rule, int stmt) {
  pr.contract_step = cx.contract.size();
  cx.contract.push_back(make_step(cx, Phase::Contract, pr.kind, pr.description, pr.core_sql, {pr.table}, rule, stmt));
  cx.pending_renames.push_back(std::move(pr));
}

void render_rename_swap(Ctx& cx, const PendingRename& pr) {
  std::string sql;
  for (auto& b : pr.before) sql += b + ";\n";
  sql += pr.core_sql;
  for (auto& a : pr.after) sql += ";\n" + a;
  Step& slot = cx.contract[pr.contract_step];
  slot = make_step(cx, Phase::Contract, slot.kind,
                   pr.description + (pr.before.empty() ? "" : "; the migration's views, triggers and SQL-body functions over " +
                                                                   display_ident(pr.to) +
                                                                   " are dropped before and created again after it"),
                   sql, slot.tables, slot.rule, slot.source_statement);
}

std::string carry_comment_and_grants(const QualifiedName& t, const std::string& from, const std::string& to) {
  std::string reg = regclass_literal(t);
  std::string attr = "SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = " + reg +
                     " AND attname = " + quote_literal(from) + " AND NOT attisdropped";
  return "    DECLARE pgstage_g record;\n    BEGIN\n"
         "      IF col_description(" + reg + ", (" + attr + ")) IS NOT NULL THEN\n"
         "        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', " + reg + ", " + quote_literal(to) +
         ", col_description(" + reg + ", (" + attr + ")));\n"
         "      END IF;\n"
         "      FOR pgstage_g IN SELECT x.privilege_type, x.is_grantable, x.grantee FROM pg_catalog.pg_attribute a\n"
         "          CROSS JOIN LATERAL aclexplode(a.attacl) x WHERE a.attrelid = " + reg + " AND a.attname = " +
         quote_literal(from) + " AND NOT a.attisdropped LOOP\n"
         "        EXECUTE format('GRANT %s (%I) ON %s TO %s%s', pgstage_g.privilege_type, " + quote_literal(to) + ", " +
         reg + ",\n          CASE WHEN pgstage_g.grantee = 0 THEN 'PUBLIC' ELSE "
         "quote_ident(pg_get_userbyid(pgstage_g.grantee)) END,\n"
         "          CASE WHEN pgstage_g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);\n"
         "      END LOOP;\n    END;\n";
}

bool plan_alter_type(Ctx& cx, const StatementInput& in, const Change& c) {
  const AlterColumnType& a = *c.as<AlterColumnType>();
  if (!existing(cx, a.table)) return false;
  const std::string rule = "changing-column-type";
  const QualifiedName& t = a.table;
  const CatalogColumn* old = cx.catalog.table(t) ? cx.catalog.table(t)->column(a.column) : nullptr;
  TypeChangeFacts facts =
      type_change_facts(old ? &old->type : nullptr, a.new_type, a.column, a.using_expr, cx.opts.settings.pg_version);
  if (facts.verdict == TypeChangeVerdict::NoRewrite) return false;
  old = cx.column_of(t, a.column, at(in, c), rule);
  if (!old || refuse_constraints(cx, t, a.column, rule, at(in, c)) || refuse_special(cx, t, *old, rule, at(in, c)))
    return true;
  auto key = cx.key_of(t, at(in, c), rule);
  if (key.empty()) return true;
  CatalogColumn oldc = *old;
  std::string tmp = bounded_name(a.column + "_pgstage_new");
  std::string qc = quote_ident(a.column), qt = quote_ident(tmp);
  std::string conv = a.using_expr ? "(" + a.using_expr->sql + ")" : "(" + qc + ")::" + a.new_type.sql();
  std::string type_sql = a.new_type.sql() + (a.collation.empty() ? "" : " COLLATE " + quote_ident(a.collation));
  cx.expand.push_back(make_step(cx, Phase::Expand, "add-column",
                                "Add " + who(t, tmp) + " of type " + a.new_type.str() +
                                    " (nullable, catalog-only) "
                                    "to hold the converted values",
                                "ALTER TABLE " + quote_name(t) + " ADD COLUMN IF NOT EXISTS " + qt + " " + type_sql,
                                {t}, rule, in.index));
  QualifiedName fn = trigger_function_name(t, a.column, "convert");
  std::string trg = trigger_name(a.column, "convert");
  cx.expand.push_back(make_step(cx, Phase::Expand, "create-trigger",
                                "Keep " + who(t, tmp) + " equal to " + conv +
                                    " on every INSERT and UPDATE. Both releases write " + who(t, a.column) +
                                    " (its name does not change); the trigger only edits the row being written, so it "
                                    "never fires itself again",
                                create_trigger_sql(t, trg, fn, "  NEW." + qt + " := " + row_expr(conv) + ";\n"), {t},
                                rule, in.index));
  std::vector<Step> renames;
  copy_indexes(cx, t, a.column, tmp, rule, in.index, at(in, c), renames);
  if (!cx.error.empty()) return true;
  cx.backfill.push_back(make_backfill(
      cx, Phase::Backfill, "Convert " + who(t, a.column) + " into " + who(t, tmp) + " in batches by key",
      BackfillSpec{t, key, qt + " = " + conv, qt + " IS NULL AND " + qc + " IS NOT NULL", cx.opts.batch_size}, rule,
      in.index));
  if (oldc.not_null) not_null_via_check(cx, t, tmp, rule, in.index);
  std::string attr_exists = "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = " + regclass_literal(t) +
                            " AND attname = " + quote_literal(tmp) + " AND NOT attisdropped";
  std::string swap = "    DROP TRIGGER IF EXISTS " + quote_ident(trg) + " ON " + quote_name(t) + ";\n" +
                     carry_comment_and_grants(t, a.column, tmp) + "    ALTER TABLE " + quote_name(t) +
                     " DROP COLUMN " + qc + ";\n    ALTER TABLE " + quote_name(t) + " RENAME COLUMN " + qt + " TO " +
                     qc + ";\n";
  if (oldc.default_expr && !oldc.default_expr->is_null_constant)
    swap += "    ALTER TABLE " + quote_name(t) + " ALTER COLUMN " + qc + " SET DEFAULT " + oldc.default_expr->sql +
            ";\n";  // coerced to the new type, as ALTER TYPE does with the old default
  std::vector<Step> validates;
  for (auto& add : carry_checks(cx, t, a.column, a.column, rule, in.index, validates)) swap += "    " + add + ";\n";
  PendingRename pr;
  pr.table = t, pr.from = a.column, pr.to = a.column, pr.retype = true;
  pr.kind = "swap-column";
  pr.description = "In one transaction: drop the trigger and the old " + who(t, a.column) + ", and rename " +
                   who(t, tmp) +
                   " to take its place with the old column's comment and column grants (catalog-only, brief ACCESS "
                   "EXCLUSIVE)";
  pr.core_sql = do_block("  IF EXISTS (" + attr_exists + ") THEN\n" + swap + "  END IF;\n") +
                ";\nDROP FUNCTION IF EXISTS " + quote_name(fn) + "()";
  add_swap_step(cx, std::move(pr), rule, in.index);
  for (auto& s : validates) cx.contract.push_back(std::move(s));
  for (auto& s : renames) cx.contract.push_back(std::move(s));
  cx.backfilled_tables.push_back(t);
  cx.deferred_columns.push_back({t, a.column});  // the old column goes in contract
  cx.replaced_columns.push_back({t, a.column});
  if (a.using_expr) keep_functions(cx, a.using_expr->unknown_functions);  // the trigger calls them
  cx.kept_types.push_back(QualifiedName{a.new_type.schema, a.new_type.name});  // and names the new type
  return true;
}

bool plan_set_not_null(Ctx& cx, const StatementInput& in, const Change& c) {
  const SetNotNull& s = *c.as<SetNotNull>();
  if (!existing(cx, s.table)) return false;
  if (const CatalogTable* tab = cx.catalog.table(s.table)) {
    if (const CatalogColumn* col = tab->column(s.column); col && col->not_null) return false;
    for (auto& k : tab->constraints)
      if (k.not_null_column == s.column && k.validated) return false;  // SET NOT NULL uses the CHECK, no scan
  }
  const std::string rule = "setting-not-null";
  const QualifiedName& t = s.table;
  std::string qc = quote_ident(s.column);
  // Rows the old release writes with NULL until it stops: fill them once more just before the CHECK.
  std::vector<BackfillSpec> catch_up;
  auto fill = fill_of(cx, in, s.column);
  if (!cx.error.empty()) return true;
  if (fill) {
    auto key = cx.key_of(t, at(in, c), rule);
    if (key.empty()) return true;
    BackfillSpec spec{t, key, qc + " = (" + *fill + ")", qc + " IS NULL", cx.opts.batch_size};
    cx.backfill.push_back(make_backfill(cx, Phase::Backfill,
                                        "Fill NULLs in " + who(t, s.column) + " with " + *fill + ", in batches",
                                        spec, rule, in.index));
    catch_up.push_back(spec);
  }
  for (auto& st : cx.backfill) {
    if (!st.backfill || st.rule == rule) continue;
    std::string p;
    for (char ch : st.backfill->predicate)
      if (ch != '"' && ch != ' ') p += char(std::tolower(static_cast<unsigned char>(ch)));
    std::string want;
    for (char ch : s.column + "isnull") want += char(std::tolower(static_cast<unsigned char>(ch)));
    if (Catalog::same(st.backfill->table, t) && p == want) catch_up.push_back(*st.backfill);
  }
  for (auto& spec : catch_up)
    cx.contract.push_back(make_backfill(
        cx, Phase::Contract,
        "Catch up: fill the NULLs the old release wrote into " + who(t, s.column) + " after the first backfill", spec,
        rule, in.index));
  not_null_via_check(cx, t, s.column, rule, in.index);
  return true;
}

bool plan_drop_column(Ctx& cx, const StatementInput& in, const Change& c) {
  const DropColumn& d = *c.as<DropColumn>();
  if (!existing(cx, d.table)) return false;
  const std::string rule = "dropping-column";
  const QualifiedName& t = d.table;
  const CatalogTable* tab = cx.catalog.table(t);
  const CatalogColumn* col = tab ? tab->column(d.column) : nullptr;
  if (col && col->not_null && !(col->default_expr && !col->default_expr->is_null_constant) && !col->identity &&
      !col->generated)
    cx.expand.push_back(make_step(
        cx, Phase::Expand, "drop-not-null",
        "DROP NOT NULL on " + who(t, d.column) + ": the new release no longer writes it, so its INSERTs must not fail",
        "ALTER TABLE " + quote_name(t) + " ALTER COLUMN " + quote_ident(d.column) + " DROP NOT NULL", {t}, rule,
        in.index));
  cx.contract.push_back(make_step(cx, Phase::Contract, "drop-column",
                                  "Drop " + who(t, d.column) + " once no release reads it (catalog-only)",
                                  "ALTER TABLE " + quote_name(t) + " DROP COLUMN IF EXISTS " + quote_ident(d.column) +
                                      (d.cascade ? " CASCADE" : ""),
                                  {t}, rule, in.index));
  cx.deferred_columns.push_back({t, d.column});
  return true;
}

}  // namespace pgstage::planner::detail
