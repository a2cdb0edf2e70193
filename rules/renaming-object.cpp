#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace renaming_object {

// Renames that break code which names the object; constraint and index names are not used by queries.
bool watched(const std::string& kind) {
  return kind != "constraint" && kind != "index" && kind != "trigger" && kind != "index schema" && kind != "policy" &&
         kind != "rule" && kind != "role" && kind != "database" && kind != "table column";
}

bool created_in_review(const StatementContext& ctx, const RenameObject& a) {
  if (!a.table.empty()) return ctx.is_new(a.table);
  if (const CatalogTable* t = ctx.catalog.table(a.name)) return t->created_in_review;
  std::string base = a.kind;
  for (const char* suffix : {" schema", " column"})
    if (base.size() > std::string(suffix).size() && base.ends_with(suffix))
      base.resize(base.size() - std::string(suffix).size());
  if (base == "enum value") base = "type";
  const CatalogObject* o = ctx.catalog.object(base, a.name);
  return o && o->created_in_review;
}

// Objects application code does not name: a trigger function (only its trigger calls it), a sequence
// owned by a column (the column's default calls it), including the implicit <table>_<column>_seq of a
// serial or identity column.
bool internal_object(const StatementContext& ctx, const RenameObject& a) {
  if (a.kind != "function" && a.kind != "sequence") return false;
  if (const CatalogObject* o = ctx.catalog.object(a.kind, a.name); o && o->internal) return true;
  if (a.kind != "sequence") return false;
  for (const CatalogTable* t : ctx.catalog.tables()) {
    if (!a.name.schema.empty() && !t->name.schema.empty() && a.name.schema != t->name.schema) continue;
    for (const CatalogColumn& col : t->columns)
      if ((col.type.is_serial || col.identity) && a.name.name == t->name.name + "_" + col.name + "_seq") return true;
  }
  return false;
}

// One step of an enum swap (see type_renamed_into). Moving the old type aside is silent; giving the
// new type the old name is judged as the type change it is: values the new enum lacks break the
// running release's writes.
void report_removed_values(const CatalogObject& old_type, const std::vector<std::string>& new_values,
                           const QualifiedName& type, const QualifiedName& replacement, const Change& c,
                           Reporter& r) {
  std::vector<std::string> removed;
  for (auto& v : old_type.values)
    if (std::find(new_values.begin(), new_values.end(), v) == new_values.end()) removed.push_back("'" + v + "'");
  if (removed.empty()) return;
  std::string list;
  for (auto& v : removed) list += (list.empty() ? "" : ", ") + v;
  std::string them = removed.size() == 1 ? "it" : "them";
  std::string how = Catalog::same(type, replacement)
                        ? "the old type renamed aside and created again"
                        : "the old type renamed aside, " + tick(replacement) + " in its place";
  r.report("this enum swap changes " + tick(type) + " (" + how + ") and removes " + list + ": the release running during the deploy may still write " +
               them + ", and those writes fail with `invalid input value for enum`",
           "Remove values in two releases: first ship code that no longer writes " + list +
               " and update the rows that hold " + them + ", then swap the enum in the next release's migration.",
           where(c));
}

// One step of an enum swap (see type_renamed_into): it is judged once, as the type change it is
// (values the new enum lacks break the running release's writes), never as a rename.
bool enum_swap(const StatementContext& ctx, const Change& c, const RenameObject& a, Reporter& r) {
  if (a.kind != "type") return false;
  QualifiedName to{a.name.schema, a.new_name};
  // s -> s_old, then a new enum created as s: judged here, against the CREATE TYPE's values.
  if (const CreateEnum* e = enum_created(ctx.file_view, a.name)) {
    if (const CatalogObject* old_type = ctx.catalog.object("type", a.name); old_type && !old_type->created_in_review)
      report_removed_values(*old_type, e->values, a.name, a.name, c, r);
    return true;
  }
  // s -> s_old, then s_new -> s: silent here, judged at the second rename.
  const RenameObject* other = type_renamed_into(ctx.file_view, a.name);
  if (other && other != &a) return true;
  const RenameObject* aside = type_renamed_away(ctx.file_view, to);
  if (!aside || aside == &a) return false;
  const CatalogObject* old_type = ctx.catalog.object("type", QualifiedName{aside->name.schema, aside->new_name});
  const CatalogObject* new_type = ctx.catalog.object("type", a.name);
  if (old_type && new_type && !old_type->created_in_review)
    report_removed_values(*old_type, new_type->values, to, a.name, c, r);
  return true;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<RenameObject>(ctx, [&](const Change& c, const RenameObject& a) {
    if (enum_swap(ctx, c, a, r)) return;
    if (!watched(a.kind) || created_in_review(ctx, a) || internal_object(ctx, a)) return;
    std::string what, hint;
    if (a.kind == "enum value") {
      what = "renaming value '" + a.old_value + "' of enum " + tick(a.name) + " to '" + a.new_name +
             "': the release running during the deploy still writes and compares '" + a.old_value +
             "', and those statements fail with `invalid input value for enum`";
      hint = "Add the new value with `ALTER TYPE " + quote_name(a.name) + " ADD VALUE '" + a.new_name +
             "';`, ship code that uses it, migrate the rows, and stop using the old value.";
    } else if (a.kind.ends_with(" schema")) {
      what = "moving " + a.kind.substr(0, a.kind.size() - 7) + " " + tick(a.name) + " to schema `" +
             display_ident(a.new_name) +
             "`: the release running during the deploy still finds it under its old "
             "schema and fails with `does not exist`";
      hint =
          "Create the object in the new schema alongside the old one (or a view/wrapper under the old name), "
          "switch the code, then remove the old one in the next release.";
    } else if (a.kind.ends_with(" column")) {
      what = "renaming column `" + display_ident(a.old_value) + "` of " + a.kind.substr(0, a.kind.size() - 7) + " " +
             tick(a.name) + " to `" + display_ident(a.new_name) +
             "`: the release running during the deploy still selects `" + display_ident(a.old_value) + "` and fails";
      hint =
          "Add the new column name alongside the old one (e.g. `CREATE OR REPLACE VIEW` with both), switch the "
          "code, then remove the old name in the next release.";
    } else {
      QualifiedName to{a.name.schema, a.new_name};
      what = "renaming " + a.kind + " " + tick(a.name) + " to " + tick(to) +
             ": the release running during the deploy still uses the old name and fails with `" + a.kind +
             " does not exist`";
      hint = "Create the " + a.kind +
             " under its new name alongside the old one (or keep a wrapper under the old "
             "name), switch the code, then drop the old one in the next release.";
    }
    r.report(what, hint, where(c));
  });
}

}  // namespace renaming_object

extern const Rule rule_renaming_object = {
    .id = "renaming-object",
    .category = Category::Compat,
    .severity = Severity::Warning,
    .summary = "Renaming a schema, view, function, type, or enum value",
    .why =
        "Running code refers to these objects by name. The release that runs during the deploy still uses the "
        "old name and fails from the moment the rename commits.",
    .lock = "ACCESS EXCLUSIVE on the renamed object, briefly (catalog only).",
    .instead =
        "Create the object under the new name next to the old one (for an enum, `ADD VALUE` the new label), "
        "switch the code, and remove the old name in the next release.",
    .bad =
        "CREATE TYPE status AS ENUM ('active', 'gone');\n-- pgstage:history-end\n"
        "ALTER TYPE status RENAME VALUE 'gone' TO 'deleted';",
    .good =
        "CREATE TYPE status AS ENUM ('active', 'gone');\n-- pgstage:history-end\n"
        "ALTER TYPE status ADD VALUE 'deleted';",
    .check = renaming_object::check,
};

}  // namespace pgstage::rules
