#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace dropping_object {

bool watched(const std::string& kind) {
  return kind == "view" || kind == "materialized view" || kind == "function" || kind == "procedure" ||
         kind == "aggregate" || kind == "type" || kind == "domain" || kind == "sequence" || kind == "schema";
}

bool is_view(const std::string& kind) { return kind == "view" || kind == "materialized view"; }

// The catalog's entry for the object: 0 unknown, 1 existing, 2 created in the change set.
int known(const StatementContext& ctx, const std::string& kind, const QualifiedName& n) {
  if (is_view(kind)) {
    const CatalogTable* t = ctx.catalog.table(n);
    return t ? (t->created_in_review ? 2 : 1) : 0;
  }
  const CatalogObject* o = ctx.catalog.object(kind, n);
  if (!o && kind == "type") o = ctx.catalog.object("domain", n);
  return o ? (o->created_in_review ? 2 : 1) : 0;
}

// Whether a later statement of the file creates the object again under the same name.
bool recreated_later(const std::vector<Change>& later, const std::string& kind, const QualifiedName& n) {
  auto same = [&](const QualifiedName& m) { return Catalog::same(m, n); };
  for (const Change& c : later) {
    if (auto* v = c.as<CreateView>();
        v && is_view(kind) && v->materialized == (kind == "materialized view") && same(v->name))
      return true;
    if (auto* o = c.as<CreateOther>();
        o && (o->kind == kind || (kind == "type" && o->kind == "domain")) && same(o->name))
      return true;
    if (auto* e = c.as<CreateEnum>(); e && kind == "type" && same(e->name)) return true;
  }
  return false;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<DropObject>(ctx, [&](const Change& c, const DropObject& a) {
    if (!watched(a.kind)) return;
    std::optional<std::vector<Change>> later;
    for (const QualifiedName& n : a.names) {
      int k = known(ctx, a.kind, n);
      if (k == 2 || absent_if_exists(ctx, a.if_exists, k != 0)) continue;
      // The old type of an enum swap, moved aside after another type took its name: nothing the
      // running release names disappears (renaming-object judges the swap).
      if (a.kind == "type")
        if (const RenameObject* aside = type_renamed_into(ctx.file_view, n);
            aside && (type_renamed_into(ctx.file_view, aside->name) || enum_created(ctx.file_view, aside->name)))
          continue;
      if (!later) later = later_changes(ctx);
      std::string cascade = a.cascade ? "; CASCADE also drops every object that depends on it" : "";
      if (recreated_later(*later, a.kind, n)) {
        // Drop and re-create in one transaction: readers wait on the lock and never see it missing.
        if (ctx.tx.in_transaction && a.kind != "schema") continue;
        r.report(a.kind + " " + tick(n) +
                     " is dropped and re-created later in this file, but not in one "
                     "transaction: queries of the running release that arrive in between fail with `" +
                     a.kind + " does not exist`" + cascade,
                 "Wrap the DROP and the CREATE in one transaction (BEGIN ... COMMIT), or use CREATE OR REPLACE "
                 "when the new definition allows it.",
                 where(c));
        continue;
      }
      r.report("dropping " + a.kind + " " + tick(n) +
                   ": the release running during the deploy may still use it, and its queries then fail with `" +
                   a.kind + " does not exist`" + cascade,
               "Ship a release that no longer uses " + tick(n) + ", then drop it in a migration of the next release.",
               where(c));
    }
  });
}

}  // namespace dropping_object

extern const Rule rule_dropping_object = {
    .id = "dropping-object",
    .category = Category::Compat,
    .severity = Severity::Warning,
    .summary = "DROP VIEW / FUNCTION / TYPE / SEQUENCE / SCHEMA that running code may use",
    .why =
        "The release that runs during the deploy may still call the function, read the view or cast to the "
        "type; those statements fail from the moment the drop commits.",
    .lock = "ACCESS EXCLUSIVE on the dropped object (a view's readers block), briefly.",
    .instead = "Deprecate first: release N stops using the object; release N+1 drops it.",
    .bad = "CREATE VIEW active_users AS SELECT 1 AS id;\n-- pgstage:history-end\nDROP VIEW active_users;",
    .good = "CREATE VIEW scratch_view AS SELECT 1 AS id;\nDROP VIEW scratch_view;",
    .check = dropping_object::check,
};

}  // namespace pgstage::rules
