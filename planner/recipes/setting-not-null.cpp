// setting-not-null: fill NULLs (with `-- pgstage:fill`), then NOT NULL through a validated CHECK in contract.
#include <cctype>

#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

namespace detail {
namespace setting_not_null {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
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
                                        "Fill NULLs in " + who(t, s.column) + " with " + *fill + ", in batches", spec,
                                        rule, in.index));
    catch_up.push_back(spec);
  }
  // An UPDATE of the migration that fills the column's NULLs (staged as a backfill or run as written)
  // runs once more in contract, for the NULLs the old release wrote since.
  auto fills_nulls = [&](const BackfillSpec& b) {
    std::string p;
    for (char ch : b.predicate)
      if (ch != '"' && ch != ' ') p += char(std::tolower(static_cast<unsigned char>(ch)));
    std::string want;
    for (char ch : s.column + "isnull") want += char(std::tolower(static_cast<unsigned char>(ch)));
    return Catalog::same(b.table, t) && p == want;
  };
  for (auto& st : cx.backfill)
    if (st.backfill && st.rule != rule && fills_nulls(*st.backfill)) catch_up.push_back(*st.backfill);
  size_t staged = catch_up.size();
  for (auto& b : cx.updates_as_written)
    if (fills_nulls(b)) catch_up.push_back(b);
  for (size_t k = 0; k < catch_up.size(); ++k)
    cx.contract.push_back(make_backfill(
        cx, Phase::Contract,
        "Catch up: fill the NULLs the old release wrote into " + who(t, s.column) +
            (k < staged ? " after the first backfill" : " after the migration's UPDATE (run as written in expand)"),
        catch_up[k], rule, in.index));
  not_null_via_check(cx, t, s.column, rule, in.index);
  return true;
}

}  // namespace setting_not_null
}  // namespace detail

extern const Recipe recipe_setting_not_null{
    .rule = "setting-not-null",
    .summary = "CHECK NOT VALID -> VALIDATE -> SET NOT NULL -> drop check",
    .takes = takes<SetNotNull>,
    .stage = detail::setting_not_null::stage,
};

}  // namespace pgstage::planner
