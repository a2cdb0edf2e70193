// The ADD CONSTRAINT ... NOT VALID building block, shared by the recipes of adding-foreign-key and
// adding-check-constraint: added NOT VALID in expand (new writes checked), validated in contract.
#include <algorithm>
#include <cctype>

#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/sql.h"

namespace pgstage::planner::detail {

namespace {

// The first column of `t` an expression mentions (Postgres names an unnamed CHECK after it).
std::string first_column(const Ctx& cx, const QualifiedName& t, const std::string& expr) {
  const CatalogTable* tab = cx.catalog.table(t);
  for (auto& w : top_words(expr)) {
    std::string lower;
    for (char ch : w.upper) lower += char(std::tolower(static_cast<unsigned char>(ch)));
    if (tab && tab->column(lower)) return lower;
  }
  return "";
}

}  // namespace

bool stage_not_valid_constraint(Ctx& cx, const StatementInput& in, const Change& c, std::string_view asked) {
  const AddConstraint& a = *c.as<AddConstraint>();
  const Constraint& k = a.constraint;
  const QualifiedName& t = a.table;
  if (!existing(cx, t)) return false;
  if (k.kind == ConstraintKind::ForeignKey || k.kind == ConstraintKind::Check) {
    if (k.not_valid) return false;
    std::string rule = k.kind == ConstraintKind::ForeignKey ? "adding-foreign-key" : "adding-check-constraint";
    if (rule != asked) return false;
    if (!single(cx, in, c, rule)) return true;
    std::string name = k.name;
    if (name.empty())
      name = k.kind == ConstraintKind::ForeignKey
                 ? pg_default_name(t.name, k.columns, "fkey")
                 : pg_default_name(t.name, first_column(cx, t, k.check ? k.check->sql : ""), "check");
    std::string sql = text_of(cx, in);
    if (k.name.empty()) {
      // Name it as Postgres would, so the later VALIDATE and re-runs can find it.
      auto words = top_words(sql);
      auto add =
          std::find_if(words.begin(), words.end(), [](const Word& w) { return w.depth == 0 && w.upper == "ADD"; });
      if (add == words.end()) {
        cx.fail(at(in, c), rule + ": cannot find ADD in the statement");
        return true;
      }
      sql.insert(add->end, " CONSTRAINT " + quote_ident(name));
    }
    sql += " NOT VALID";
    cx.expand.push_back(
        make_step(cx, Phase::Expand, "add-constraint-not-valid",
                  "Add " + display_ident(name) +
                      " NOT VALID: new writes are checked at once, existing rows are not scanned "
                      "under the strong lock",
                  do_block("  IF NOT EXISTS (" + constraint_exists(t, name) + ") THEN\n    " + sql + ";\n  END IF;\n"),
                  k.kind == ConstraintKind::ForeignKey ? std::vector<QualifiedName>{t, k.ref_table}
                                                       : std::vector<QualifiedName>{t},
                  rule, in.index));
    validate_step(cx, t, name, rule, in.index, "checks the existing rows of " + display_name(t));
    return true;
  }
  return false;
}

}  // namespace pgstage::planner::detail
