// renaming-column: a copy under the new name kept equal by a sync trigger and backfilled; contract drops
// the copy and renames the old column onto its name.
#include <algorithm>

#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace renaming_column {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
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
  std::vector<Step> unused, after_backfill;
  copy_indexes(cx, t, r.column, r.new_name, rule, in.index, at(in, c), unused, after_backfill,
               /*skip_expressions=*/true, /*carry_keys=*/false);
  if (!cx.error.empty()) return true;
  cx.backfill.push_back(make_backfill(
      cx, Phase::Backfill, "Copy " + who(t, r.column) + " into " + who(t, r.new_name) + " in batches by key",
      BackfillSpec{t, key, n + " = " + o, n + " IS NULL AND " + o + " IS NOT NULL", cx.opts.batch_size}, rule,
      in.index));
  for (auto& s : after_backfill) cx.backfill.push_back(std::move(s));
  std::string attr_exists = "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = " + regclass_literal(t) +
                            " AND attname = " + quote_literal(r.column) + " AND NOT attisdropped";
  PendingRename pr;
  pr.table = t, pr.from = r.column, pr.to = r.new_name;
  pr.kind = "rename-column";
  pr.description = "In one transaction: drop the sync trigger and the copy " + who(t, r.new_name) + ", and rename " +
                   who(t, r.column) + " to " + display_ident(r.new_name) +
                   " (catalog-only, brief ACCESS EXCLUSIVE). The column keeps its place, constraints, indexes, "
                   "default, comment, grants and statistics, and views over it follow";
  pr.core_sql =
      do_block("  IF EXISTS (" + attr_exists + ") THEN\n    DROP TRIGGER IF EXISTS " + quote_ident(trg) + " ON " +
               quote_name(t) + ";\n    ALTER TABLE " + quote_name(t) + " DROP COLUMN IF EXISTS " + n +
               ";\n    ALTER TABLE " + quote_name(t) + " RENAME COLUMN " + o + " TO " + n + ";\n  END IF;\n") +
      ";\nDROP FUNCTION IF EXISTS " + quote_name(fn) + "()";
  add_swap_step(cx, std::move(pr), rule, in.index);
  cx.deferred_columns.push_back({t, r.column});  // the name is free only after contract
  cx.backfilled_tables.push_back(t);
  return true;
}

}  // namespace renaming_column
}  // namespace detail

extern const Recipe recipe_renaming_column{
    .rule = "renaming-column",
    .summary = "copy under the new name + sync trigger + backfill -> drop the copy, rename the old column onto it",
    .takes = takes<RenameColumn>,
    .stage = detail::renaming_column::stage,
};

}  // namespace pgstage::planner
