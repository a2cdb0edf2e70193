#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace {

bool watched(const std::string& kind) {
  return kind == "view" || kind == "materialized view" || kind == "function" || kind == "procedure" ||
         kind == "aggregate" || kind == "type" || kind == "domain" || kind == "sequence" || kind == "schema";
}

bool created_in_review(const StatementContext& ctx, const std::string& kind, const QualifiedName& n) {
  if (kind == "view" || kind == "materialized view") {
    const CatalogTable* t = ctx.catalog.table(n);
    return t && t->created_in_review;
  }
  const CatalogObject* o = ctx.catalog.object(kind, n);
  if (!o && kind == "type") o = ctx.catalog.object("domain", n);
  return o && o->created_in_review;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<DropObject>(ctx, [&](const Change& c, const DropObject& a) {
    if (!watched(a.kind)) return;
    for (const QualifiedName& n : a.names) {
      if (created_in_review(ctx, a.kind, n)) continue;
      r.report("dropping " + a.kind + " " + tick(n) +
                   ": the release running during the deploy may still use it, and its queries then fail with `" +
                   a.kind + " does not exist`" +
                   (a.cascade ? "; CASCADE also drops every object that depends on it" : ""),
               "Ship a release that no longer uses " + tick(n) + ", then drop it in a migration of the next release.",
               where(c));
    }
  });
}

}  // namespace

extern const Rule rule_dropping_object = {
    .id = "dropping-object",
    .category = Category::Compat,
    .severity = Severity::Warning,
    .summary = "DROP VIEW / FUNCTION / TYPE / SEQUENCE / SCHEMA that running code may use",
    .why = "The release that runs during the deploy may still call the function, read the view or cast to the "
           "type; those statements fail from the moment the drop commits.",
    .lock = "ACCESS EXCLUSIVE on the dropped object (a view's readers block), briefly.",
    .instead = "Deprecate first: release N stops using the object; release N+1 drops it.",
    .bad = "CREATE VIEW active_users AS SELECT 1 AS id;\n-- pgstage:history-end\nDROP VIEW active_users;",
    .good = "CREATE VIEW scratch_view AS SELECT 1 AS id;\nDROP VIEW scratch_view;",
    .plan = "deprecate -> drop",
    .check = check,
};

}  // namespace pgstage::rules
