// changing-column-type: a converted copy kept equal by a trigger and backfilled; contract swaps it in.
#include <algorithm>

#include "analyzer/rule_api.h"
#include "analyzer/types.h"
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace changing_column_type {

// Identity and generated columns cannot be copied: the copy would lose what makes them special.
// A sequence-backed column (serial, DEFAULT nextval) can: the swap hands its sequence over.
bool refuse_special(Ctx& cx, const QualifiedName& t, const CatalogColumn& c, const std::string& rule, int offset) {
  if (!c.identity && !c.generated) return false;
  cx.fail(offset, rule + ": column " + who(t, c.name) +
                      " is an identity or generated column, which the recipe cannot copy to a new column; stage "
                      "this change by hand");
  return true;
}

// PL/pgSQL of the swap that drops `column` and renames `tmp` onto it. The sequence the old column
// owns (serial) would go with it: it is detached first and owned by the new column after, which
// also takes the old column's default.
std::string drop_and_rename(const QualifiedName& t, const CatalogColumn& old, const std::string& tmp) {
  std::string qt = quote_name(t), reg = regclass_literal(t), col = quote_literal(old.name);
  std::string sql = "    ALTER TABLE " + qt + " DROP COLUMN " + quote_ident(old.name) + ";\n    ALTER TABLE " + qt +
                    " RENAME COLUMN " + quote_ident(tmp) + " TO " + quote_ident(old.name) + ";\n";
  bool default_known = old.default_expr && !old.default_expr->is_null_constant;
  if (default_known)  // coerced to the new type, as ALTER TYPE does with the old default
    sql += "    ALTER TABLE " + qt + " ALTER COLUMN " + quote_ident(old.name) + " SET DEFAULT " +
           old.default_expr->sql + ";\n";
  bool seq = old.type.is_serial || (default_known && old.default_expr->sql.find("nextval") != std::string::npos);
  if (!seq) return sql;
  return "    DECLARE pgstage_seq text := pg_get_serial_sequence(" + reg + "::text, " + col +
         ");\n    BEGIN\n      IF pgstage_seq IS NOT NULL THEN\n        EXECUTE format('ALTER SEQUENCE %s OWNED BY "
         "NONE', pgstage_seq);\n      END IF;\n" +
         sql + "      IF pgstage_seq IS NOT NULL THEN\n        EXECUTE format('ALTER SEQUENCE %s OWNED BY %s.%I', "
         "pgstage_seq, " + reg + ", " + col + ");\n" +
         (default_known ? ""
                        : "        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT nextval(%L::regclass)', " +
                              reg + ", " + col + ", pgstage_seq);\n") +
         "      END IF;\n    END;\n";
}

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
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
  std::vector<Step> renames, key_indexes;
  copy_indexes(cx, t, a.column, tmp, rule, in.index, at(in, c), renames, false, &key_indexes);
  if (!cx.error.empty()) return true;
  cx.backfill.push_back(make_backfill(
      cx, Phase::Backfill, "Convert " + who(t, a.column) + " into " + who(t, tmp) + " in batches by key",
      BackfillSpec{t, key, qt + " = " + conv, qt + " IS NULL AND " + qc + " IS NOT NULL", cx.opts.batch_size}, rule,
      in.index));
  for (auto& s : key_indexes) cx.backfill.push_back(std::move(s));
  if (oldc.not_null) not_null_via_check(cx, t, tmp, rule, in.index);  // a PRIMARY KEY's too
  std::string attr_exists = "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = " + regclass_literal(t) +
                            " AND attname = " + quote_literal(tmp) + " AND NOT attisdropped";
  CarriedConstraints carried = carry_constraints(cx, t, a.column, a.column, rule, in.index);
  std::string swap = "    DROP TRIGGER IF EXISTS " + quote_ident(trg) + " ON " + quote_name(t) + ";\n" +
                     carry_comment_and_grants(t, a.column, tmp);
  for (auto& s : carried.before) swap += "    " + s + ";\n";
  swap += drop_and_rename(t, oldc, tmp);
  for (auto& s : carried.after) swap += "    " + s + ";\n";
  PendingRename pr;
  pr.table = t, pr.from = a.column, pr.to = a.column, pr.retype = true;
  pr.kind = "swap-column";
  pr.carried_constraints = carried.constraints;
  pr.description = "In one transaction: drop the trigger and the old " + who(t, a.column) + ", and rename " +
                   who(t, tmp) +
                   " to take its place with the old column's comment and column grants" +
                   (carried.after.empty() ? ""
                                          : ", keys (USING the index built after the backfill), foreign keys and "
                                            "CHECKs (NOT VALID, validated next)") +
                   " (catalog-only, brief ACCESS EXCLUSIVE)";
  pr.core_sql = do_block("  IF EXISTS (" + attr_exists + ") THEN\n" + swap + "  END IF;\n") +
                ";\nDROP FUNCTION IF EXISTS " + quote_name(fn) + "()";
  add_swap_step(cx, std::move(pr), rule, in.index);
  for (auto& r : carried.tables) add_table(cx.contract.back().tables, r);
  for (auto& s : carried.validates) cx.contract.push_back(std::move(s));
  for (auto& s : renames) cx.contract.push_back(std::move(s));
  cx.backfilled_tables.push_back(t);
  cx.deferred_columns.push_back({t, a.column});  // the old column goes in contract
  cx.replaced_columns.push_back({t, a.column});
  if (a.using_expr) keep_functions(cx, a.using_expr->unknown_functions);       // the trigger calls them
  cx.kept_types.push_back(QualifiedName{a.new_type.schema, a.new_type.name});  // and names the new type
  return true;
}

}  // namespace changing_column_type
}  // namespace detail

extern const Recipe recipe_changing_column_type{
    .rule = "changing-column-type",
    .summary = "new column + sync triggers + backfill -> swap",
    .takes = takes<AlterColumnType>,
    .stage = detail::changing_column_type::stage,
};

}  // namespace pgstage::planner
