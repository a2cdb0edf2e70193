// The planner driver: walks the statements, offers each Change to the recipes of the findings lint
// reported on its statement (planner/recipe.h), passes the rest through into expand in their
// original order, and keeps the order the migration meant around what the recipes staged or deferred.
#include "planner/planner.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "analyzer/lower.h"
#include "analyzer/rule_api.h"
#include "analyzer/table_swaps.h"
#include "analyzer/types.h"
#include "planner/context.h"
#include "planner/fill.h"
#include "planner/recipe.h"
#include "planner/sql.h"

namespace pgstage::planner {

using namespace detail;

namespace {

constexpr const char* kExpandRuns = "before the deploy of the new release (N), while the old release (N-1) serves";
constexpr const char* kExpandReleases = "old (N-1); the new release (N) may start once expand has finished";
constexpr const char* kBackfillRuns = "after expand, online and in batches, before or during the deploy of release N";
constexpr const char* kBackfillReleases = "old (N-1) and new (N)";
constexpr const char* kContractRuns =
    "after release N is fully deployed and no N-1 container runs, before the deploy of release N+1";
constexpr const char* kContractReleases = "new (N) only";

bool is_session_setting(const SetVariable& s) {
  return s.name == "lock_timeout" || s.name == "statement_timeout" || s.name == "idle_in_transaction_session_timeout";
}

// Offers `c` to the recipes of the findings lint reported on its statement (registry order, so the
// outcome does not depend on the order of the findings); a Change no finding's recipe takes runs as
// written. `whole` says the recipe staged the whole statement (Recipe::whole_statement).
bool plan_change(Ctx& cx, const StatementInput& in, const Change& c, bool& whole) {
  for (const Recipe* r : recipes()) {
    if (std::find(in.rules.begin(), in.rules.end(), r->rule) == in.rules.end() || !r->takes(c)) continue;
    if (r->stage(cx, in, c)) {
      whole = r->whole_statement;
      return true;
    }
  }
  // Not a recipe but the order of the plan: an UPDATE of a table whose rows the plan backfills runs
  // after that backfill, batched as well (as written it would run in expand, before it).
  if (auto* d = c.as<Dml>(); d && d->kind == DmlKind::Update && in.lowered->changes.size() == 1 && !c.from_do_block &&
                             std::any_of(cx.backfilled_tables.begin(), cx.backfilled_tables.end(),
                                         [&](const QualifiedName& t) { return Catalog::same(t, d->table); })) {
    std::string problem;
    if (auto spec = update_backfill_spec(cx, in, *d, problem)) {
      add_update_backfill(cx, in, std::move(*spec), "");
      return true;
    }
  }
  return false;
}
bool plan_change(Ctx& cx, const StatementInput& in, const Change& c) {
  bool whole = false;
  return plan_change(cx, in, c, whole);
}

bool same(const QualifiedName& a, const QualifiedName& b) { return Catalog::same(a, b); }

// A statement that stays in expand must not depend on something the plan moved later.
void check_dependencies(Ctx& cx, const StatementInput& in, const Change& c) {
  int at = int(in.statement->begin);
  auto column_deferred = [&](const QualifiedName& t, const std::string& col) {
    return std::any_of(cx.deferred_columns.begin(), cx.deferred_columns.end(),
                       [&](auto& d) { return same(d.first, t) && d.second == col; });
  };
  auto table_deferred = [&](const QualifiedName& t) {
    return std::any_of(cx.deferred_tables.begin(), cx.deferred_tables.end(), [&](auto& d) { return same(d, t); });
  };
  auto backfilled = [&](const QualifiedName& t) {
    return std::any_of(cx.backfilled_tables.begin(), cx.backfilled_tables.end(), [&](auto& d) { return same(d, t); });
  };
  const char* split = "; split the migration in two at this statement and plan each";
  if (auto* a = c.as<AddColumn>(); a && column_deferred(a->table, a->column.name)) {
    bool same_statement = std::any_of(in.lowered->changes.begin(), in.lowered->changes.end(), [&](const Change& x) {
      auto* d = x.as<DropColumn>();
      return d && same(d->table, a->table) && d->column == a->column.name;
    });
    std::string col = display_name(a->table) + "." + display_ident(a->column.name);
    if (same_statement)
      cx.fail(c.location >= 0 ? c.location : at,
              "this statement drops column " + col + " and adds a new one under the same name (its values are "
              "replaced): the running release reads the old column and the new release the new one by one name, "
              "which no plan can serve at once. Give the new column another name (add it now, drop the old one "
              "later), or, when no running release reads " + col +
                  ", run the statement as written: put `-- pgstage:ignore dropping-column` above it");
    else
      cx.fail(at, "this statement re-adds column " + col + ", which the plan drops only in contract" + split);
  }
  if (auto* r = c.as<RenameColumn>(); r && column_deferred(r->table, r->new_name))
    cx.fail(at, "this statement reuses the name " + display_ident(r->new_name) +
                    ", which the plan frees only in contract" + split);
  if (auto* t = c.as<CreateTable>(); t && table_deferred(t->table))
    cx.fail(at, "this statement creates " + display_name(t->table) +
                    ", which the plan drops or renames only in "
                    "contract" +
                    split);
  auto column_change = [&](const QualifiedName& t, const std::string& col) {
    if (column_deferred(t, col))
      cx.fail(c.location >= 0 ? c.location : at,
              "this statement changes column " + display_name(t) + "." + display_ident(col) +
                  ", which an earlier statement in this migration replaces (the old one goes in contract)" + split);
  };
  if (auto* x = c.as<RenameColumn>()) column_change(x->table, x->column);
  if (auto* x = c.as<AlterColumnType>()) column_change(x->table, x->column);
  if (auto* x = c.as<SetNotNull>()) column_change(x->table, x->column);
  if (auto* x = c.as<DropNotNull>()) column_change(x->table, x->column);
  if (auto* x = c.as<SetDefault>()) column_change(x->table, x->column);
  if (auto* x = c.as<DropDefault>()) column_change(x->table, x->column);
  if (auto* ix = c.as<CreateIndex>()) {
    for (auto& col : ix->columns)
      if (column_deferred(ix->table, col))
        cx.fail(at, "this index uses column " + display_ident(col) + ", which the plan drops or replaces in contract" +
                        split);
    if (ix->unique && backfilled(ix->table))
      cx.fail(at, "this unique index on " + display_name(ix->table) +
                      " would be built before the backfill that the plan runs after expand" + split);
  }
  if (auto* k = c.as<AddConstraint>()) {
    std::vector<std::string> cols = k->constraint.columns;
    if (k->constraint.check)
      for (auto& w : top_words(k->constraint.check->sql)) {
        std::string lower;
        for (char ch : w.upper) lower += char(std::tolower(static_cast<unsigned char>(ch)));
        cols.push_back(lower);
      }
    for (auto& col : cols)
      if (column_deferred(k->table, col)) {
        cx.fail(c.location >= 0 ? c.location : at,
                "this constraint uses column " + display_ident(col) +
                    ", which the plan drops or replaces in contract (the constraint would go with it)" + split);
        break;
      }
  }
  if (auto* k = c.as<AddConstraint>(); k && backfilled(k->table) && !k->constraint.not_valid &&
                                       k->constraint.kind != ConstraintKind::Check &&
                                       k->constraint.kind != ConstraintKind::ForeignKey)
    cx.fail(at, "this constraint on " + display_name(k->table) +
                    " would be checked before the backfill that the plan runs after expand" + split);
  if (auto* d = c.as<Dml>(); d && backfilled(d->table))
    cx.fail(at, "this statement reads " + display_name(d->table) + " before the plan's backfill has run" + split);
}

// SQL for a safe Change split off a statement that also holds a staged change.
std::optional<std::string> render_change(const Change& c) {
  if (auto* a = c.as<AddColumn>()) {
    const ColumnDef& col = a->column;
    if (col.identity || col.generated_stored || col.type.is_serial || col.primary_key || col.unique)
      return std::nullopt;
    for (auto& k : col.constraints)
      if (k.kind != ConstraintKind::NotNull) return std::nullopt;
    return "ALTER TABLE " + quote_name(a->table) + " ADD COLUMN " + (a->if_not_exists ? "IF NOT EXISTS " : "") +
           quote_ident(col.name) + " " + col.type.sql() +
           (col.default_expr ? " DEFAULT " + col.default_expr->sql : "") + (col.not_null ? " NOT NULL" : "");
  }
  if (auto* d = c.as<SetDefault>())
    return "ALTER TABLE " + quote_name(d->table) + " ALTER COLUMN " + quote_ident(d->column) + " SET DEFAULT " +
           d->expr.sql;
  if (auto* d = c.as<DropDefault>())
    return "ALTER TABLE " + quote_name(d->table) + " ALTER COLUMN " + quote_ident(d->column) + " DROP DEFAULT";
  if (auto* d = c.as<DropNotNull>())
    return "ALTER TABLE " + quote_name(d->table) + " ALTER COLUMN " + quote_ident(d->column) + " DROP NOT NULL";
  if (auto* v = c.as<ValidateConstraint>())
    return "ALTER TABLE " + quote_name(v->table) + " VALIDATE CONSTRAINT " + quote_ident(v->name);
  if (auto* d = c.as<DropConstraint>())
    return "ALTER TABLE " + quote_name(d->table) + " DROP CONSTRAINT " + (d->if_exists ? "IF EXISTS " : "") +
           quote_ident(d->name) + (d->cascade ? " CASCADE" : "");
  return std::nullopt;
}

// Checks that apply to staged changes too: a column an earlier statement replaces cannot change
// again, and an INSERT ... SELECT (a recipe may give it a step of its own) cannot read a table before
// the plan's backfill of it.
void check_column_dependencies(Ctx& cx, const StatementInput& in, const Change& c) {
  auto* d = c.as<Dml>();
  if (c.is<RenameColumn>() || c.is<AlterColumnType>() || c.is<SetNotNull>() || c.is<DropColumn>() ||
      c.is<CreateIndex>() || c.is<AddConstraint>() || (d && d->kind == DmlKind::Insert && d->from_select))
    check_dependencies(cx, in, c);
}

struct Passthrough {
  std::vector<std::string> sql;
  std::vector<QualifiedName> tables;
  int first = -1;
  std::string rule;
};

void flush(Ctx& cx, Passthrough& p) {
  if (p.sql.empty()) return;
  std::string sql;
  for (auto& s : p.sql) sql += (sql.empty() ? "" : ";\n") + s;
  std::string what = p.sql.size() == 1 ? "statement" : std::to_string(p.sql.size()) + " statements";
  Step s = make_step(cx, Phase::Expand, "passthrough",
                     "Run the migration's " + what + " unchanged (safe while the old release serves)", sql, p.tables,
                     p.rule, p.first);
  cx.expand.push_back(std::move(s));
  p = Passthrough{};
}

bool same_type(const QualifiedName& a, const QualifiedName& b) {
  return a.name == b.name && (a.schema.empty() || b.schema.empty() || a.schema == b.schema);
}
bool kept_type(const Ctx& cx, const QualifiedName& t) {
  return std::any_of(cx.kept_types.begin(), cx.kept_types.end(), [&](auto& k) { return same_type(k, t); });
}
// Expr::unknown_functions spells a function `name` or `schema.name`.
bool kept_function(const Ctx& cx, const QualifiedName& f) {
  return std::any_of(cx.kept_functions.begin(), cx.kept_functions.end(), [&](const std::string& k) {
    auto dot = k.rfind('.');
    return same_type(dot == std::string::npos ? QualifiedName{"", k} : QualifiedName{k.substr(0, dot), k.substr(dot + 1)},
                     f);
  });
}
bool replaced(const Ctx& cx, const QualifiedName& t, const std::string& column) {
  return std::any_of(cx.replaced_columns.begin(), cx.replaced_columns.end(),
                     [&](auto& r) { return same(r.first, t) && r.second == column; });
}

// Whether a later statement of the file changes the type of t.column in a way the plan stages
// (the DROP DEFAULT / ALTER TYPE / SET DEFAULT sequence ORMs write for an enum change).
bool staged_type_change_follows(const Ctx& cx, const FileAnalysis& fa, size_t i, const QualifiedName& t,
                                const std::string& column) {
  const CatalogTable* tab = cx.catalog.table(t);
  const CatalogColumn* col = tab ? tab->column(column) : nullptr;
  if (!col || !existing(cx, t)) return false;
  for (size_t j = i + 1; j < fa.lowered.size(); ++j) {
    if (fa.lowered[j].do_block || fa.is_suppressed(j, "changing-column-type")) continue;
    for (auto& c : fa.lowered[j].changes)
      if (auto* a = c.as<AlterColumnType>(); a && same(a->table, t) && a->column == column)
        return type_change_facts(&col->type, a->new_type, a->column, a->using_expr, cx.opts.settings.pg_version)
                   .verdict != TypeChangeVerdict::NoRewrite;
  }
  return false;
}

// A statement that removes or renames what the plan keeps until contract (a helper function that a
// staged trigger calls, a type that a kept column uses or a trigger names, the default of a column
// the plan replaces) cannot run in expand: as written it ran after the change it depends on, so it
// runs in contract, after the steps that still need the object. Returns why, or "" to run it as
// written. Only statements made of such changes move; anything else stays (and verification proves it).
std::string contract_dependency(Ctx& cx, const FileAnalysis& fa, size_t i, const LoweredStatement& lo) {
  if (lo.do_block || lo.changes.empty()) return "";
  std::string why;
  std::vector<QualifiedName> renamed_to;
  for (auto& c : lo.changes) {
    std::string w;
    if (auto* d = c.as<DropObject>()) {
      bool function = d->kind == "function" || d->kind == "procedure";
      if (!function && d->kind != "type" && d->kind != "domain") return "";
      for (auto& n : d->names) {
        if (function && kept_function(cx, n))
          w = "it drops function " + display_name(n) + ", which a trigger, backfill or column default that the plan keeps until contract calls";
        else if (!function && kept_type(cx, n))
          w = "it drops " + d->kind + " " + display_name(n) +
              ", which a column or trigger that the plan keeps until contract uses";
      }
    } else if (auto* r = c.as<RenameObject>()) {
      if (r->kind != "type" && r->kind != "domain") return "";
      QualifiedName to{r->name.schema, r->new_name};
      if (kept_type(cx, r->name))
        w = "it renames " + r->kind + " " + display_name(r->name) +
            ", which a column or trigger that the plan keeps until contract uses by that name";
      else if (kept_type(cx, to))
        w = "it takes the name " + display_name(to) + ", which a type the plan keeps until contract still has";
      renamed_to.push_back(to);
    } else if (auto* sd = c.as<SetDefault>()) {
      if (replaced(cx, sd->table, sd->column))
        w = "it sets the default of " + display_name(sd->table) + "." + display_ident(sd->column) +
            ", which the converted column replaces only in contract";
    } else if (auto* dd = c.as<DropDefault>()) {
      if (replaced(cx, dd->table, dd->column) || staged_type_change_follows(cx, fa, i, dd->table, dd->column))
        w = "it drops the default of " + display_name(dd->table) + "." + display_ident(dd->column) +
            ", whose type the plan changes: the old release keeps inserting with the default until contract";
    } else {
      return "";
    }
    if (why.empty()) why = w;
  }
  if (!why.empty())
    for (auto& t : renamed_to) cx.kept_types.push_back(t);
  return why;
}

// Columns and tables a statement's recipes keep until contract keep their types and the functions
// of their defaults alive until then too.
void keep_deferred_dependencies(Ctx& cx, size_t first_column, size_t first_table) {
  auto keep_column = [&](const CatalogColumn& col) {
    cx.kept_types.push_back(QualifiedName{col.type.schema, col.type.name});
    if (col.default_expr) keep_functions(cx, col.default_expr->unknown_functions);
  };
  for (size_t k = first_column; k < cx.deferred_columns.size(); ++k)
    if (const CatalogTable* tab = cx.catalog.table(cx.deferred_columns[k].first))
      if (const CatalogColumn* col = tab->column(cx.deferred_columns[k].second)) keep_column(*col);
  for (size_t k = first_table; k < cx.deferred_tables.size(); ++k)
    if (const CatalogTable* tab = cx.catalog.table(cx.deferred_tables[k]))
      for (auto& col : tab->columns) keep_column(col);
}

// How a statement after a staged column rename or type change uses that column (see PendingRename).
// Drops the functions (or procedures) named like `fn` whose SQL-standard bodies depend on table `t`
// (pg_depend), whatever their argument types; others of that name are left alone.
std::string drop_dependent_routines_sql(const CreateOther& fn, const QualifiedName& t) {
  std::string schema_filter =
      fn.name.schema.empty() ? "" : " AND p.pronamespace = " + quote_literal(quote_ident(fn.name.schema)) + "::regnamespace";
  std::string what = fn.kind == "procedure" ? "PROCEDURE" : "FUNCTION";
  return do_block("DECLARE r record;\nBEGIN\n  FOR r IN SELECT DISTINCT d.objid::regprocedure AS f FROM pg_depend d JOIN "
                  "pg_proc p ON p.oid = d.objid\n    WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = "
                  "'pg_class'::regclass AND d.refobjid = " +
                  quote_literal(quote_name(t)) + "::regclass AND p.proname = " + quote_literal(fn.name.name) +
                  schema_filter + " LOOP\n    EXECUTE 'DROP " + what + " ' || r.f;\n  END LOOP;\nEND;\n");
}

enum class RenameUse { None, Contract, Both };

// Whether a statement that stays in expand uses a column that a staged rename (its new name is a
// copy until contract) or type change (its new type arrives in contract) replaces in contract, and
// what to do about it: a constraint, index, NOT NULL or other attribute attached to it now would be
// dropped by the swap, so the statement runs in contract after it (Contract); a default, comment or
// grant on a renamed column is set on the copy for the new release and again after the rename
// (Both; a type change's default is contract_dependency's); a view or trigger over it is created
// in expand as written and dropped and created again around the swap (recorded in the
// PendingRename). Changes that replace or remove the column again, or a new table referencing it,
// cannot be staged in one plan: fails.
RenameUse rename_use(Ctx& cx, const LoweredStatement& lo, const std::string& text, int at, std::string& why) {
  if (lo.do_block || cx.pending_renames.empty()) return RenameUse::None;
  RenameUse use = RenameUse::None;
  size_t uses = 0;
  const char* split = "; split the migration in two after that statement and plan each";
  for (const Change& c : lo.changes) {
    RenameUse mine = RenameUse::None;
    for (PendingRename& pr : cx.pending_renames) {
      const QualifiedName& t = pr.table;
      const std::string& col = pr.to;
      std::string name = display_name(t) + "." + display_ident(col);
      std::string done = pr.retype ? "whose type an earlier statement changes (the plan swaps it only in contract)"
                                   : "which an earlier statement renames (the plan renames it only in contract)";
      auto on = [&](const QualifiedName& x, const std::string& column) { return same(x, t) && column == col; };
      auto any_of = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), col) != v.end(); };
      auto refs = [&](const Constraint& k) { return same(k.ref_table, t) && any_of(k.ref_columns); };
      RenameUse u = RenameUse::None;
      if (auto* ix = c.as<CreateIndex>(); ix && same(ix->table, t)) {
        bool uses_col = any_of(ix->include) || mentions_identifier(ix->where_sql, col);
        for (auto& k : ix->columns) uses_col = uses_col || k == col || mentions_identifier(k, col);
        if (uses_col) u = RenameUse::Contract;
      } else if (auto* k = c.as<AddConstraint>()) {
        if ((same(k->table, t) && (any_of(k->constraint.columns) ||
                                   (k->constraint.check && mentions_identifier(k->constraint.check->sql, col)))) ||
            refs(k->constraint))
          u = RenameUse::Contract;
      } else if (auto* d = c.as<DropConstraint>();
                 d && std::any_of(pr.carried_constraints.begin(), pr.carried_constraints.end(),
                                  [&](auto& k) { return same(k.first, d->table) && k.second == d->name; })) {
        u = RenameUse::Contract;  // the swap drops and re-adds it on the new column: dropped after that
      } else if (auto* x = c.as<SetNotNull>(); x && on(x->table, x->column)) {
        u = RenameUse::Contract;
      } else if (auto* x = c.as<DropNotNull>(); x && on(x->table, x->column)) {
        u = RenameUse::Contract;
      } else if (auto* x = c.as<AlterTableOther>(); x && on(x->table, x->column)) {
        u = RenameUse::Contract;
      } else if (auto* x = c.as<SetDefault>(); x && on(x->table, x->column)) {
        if (!pr.retype) u = RenameUse::Both;  // a type change's default waits for contract (contract_dependency)
      } else if (auto* x = c.as<DropDefault>(); x && on(x->table, x->column)) {
        if (!pr.retype) u = RenameUse::Both;
      } else if (auto* o = c.as<OtherStatement>(); o && (o->node == "CommentStmt" || o->node == "GrantStmt") &&
                                                  (o->node == "GrantStmt" || same(o->table, t)) &&
                                                  mentions_identifier(text, col) &&
                                                  mentions_identifier(text, t.name)) {
        u = RenameUse::Both;
      } else if (auto* v = c.as<CreateView>();
                 v && ((mentions_identifier(text, col) && mentions_identifier(text, t.name)) ||
                       std::any_of(pr.views.begin(), pr.views.end(),
                                   [&](const std::string& w) { return mentions_identifier(text, w); }))) {
        // Created in expand over the copy (the new release may read it); around the rename in
        // contract it is dropped and created again, over the renamed column.
        std::string drop = std::string("DROP ") + (v->materialized ? "MATERIALIZED " : "") + "VIEW IF EXISTS " +
                           quote_name(v->name);
        pr.before.insert(pr.before.begin(), drop);
        pr.after.push_back(text);
        pr.views.push_back(v->name.name);
        render_rename_swap(cx, pr);
      } else if (auto* o = c.as<OtherStatement>();
                 o && o->node == "CreatePolicyStmt" && same(o->table, t) && mentions_identifier(text, col)) {
        // A policy's expressions depend on the columns they name, like a view: created in expand
        // (on the copy) and dropped and created again around the swap.
        pr.before.insert(pr.before.begin(),
                         "DROP POLICY IF EXISTS " + quote_ident(o->object) + " ON " + quote_name(o->table));
        pr.after.push_back(text);
        render_rename_swap(cx, pr);
      } else if (auto* tg = c.as<TriggerChange>(); tg && tg->action == TriggerAction::Create && same(tg->table, t) &&
                                                  mentions_identifier(text, col)) {
        // A trigger `UPDATE OF` the column depends on it: like a view, created in expand (on the
        // copy) and dropped and created again around the swap.
        pr.before.insert(pr.before.begin(),
                         "DROP TRIGGER IF EXISTS " + quote_ident(tg->name) + " ON " + quote_name(tg->table));
        pr.after.push_back(text);
        render_rename_swap(cx, pr);
      } else if (auto* fn = c.as<CreateOther>(); fn && fn->sql_body && mentions_identifier(text, col) &&
                                                  mentions_identifier(text, t.name)) {
        // A function with a SQL-standard body depends on the columns it names, like a view: created
        // in expand over the copy; around the swap in contract the functions of that name that
        // depend on the table (whatever their argument types) are dropped and it is created again.
        pr.before.insert(pr.before.begin(), drop_dependent_routines_sql(*fn, t));
        pr.after.push_back(text);
        render_rename_swap(cx, pr);
      } else if ((c.is<AlterColumnType>() && on(c.as<AlterColumnType>()->table, c.as<AlterColumnType>()->column)) ||
                 (c.is<DropColumn>() && on(c.as<DropColumn>()->table, c.as<DropColumn>()->column)) ||
                 (c.is<RenameColumn>() && on(c.as<RenameColumn>()->table, c.as<RenameColumn>()->column))) {
        cx.fail(c.location >= 0 ? c.location : at, "this statement changes column " + name + " again, " + done + split);
        return RenameUse::None;
      } else if (auto* ct = c.as<CreateTable>()) {
        bool r = std::any_of(ct->constraints.begin(), ct->constraints.end(), refs);
        for (auto& cd : ct->columns) r = r || std::any_of(cd.constraints.begin(), cd.constraints.end(), refs);
        if (r) {
          cx.fail(at, "this statement creates a foreign key to " + name + ", " + done + split);
          return RenameUse::None;
        }
      } else if (auto* ac = c.as<AddColumn>();
                 ac && std::any_of(ac->column.constraints.begin(), ac->column.constraints.end(), refs)) {
        cx.fail(c.location >= 0 ? c.location : at, "this column references " + name + ", " + done + split);
        return RenameUse::None;
      }
      if (u != RenameUse::None && why.empty())
        why = "it uses " + name + (pr.retype ? ", which has its new type only after the swap in contract"
                                             : ", which is a copy until the rename in contract");
      if (u == RenameUse::Contract || (u == RenameUse::Both && mine == RenameUse::None)) mine = u;
    }
    if (mine != RenameUse::None) ++uses;
    if (mine == RenameUse::Contract || (mine == RenameUse::Both && use == RenameUse::None)) use = mine;
  }
  if (use != RenameUse::None && uses != lo.changes.size()) {
    cx.fail(at, "this statement mixes a change that uses " + why.substr(std::string("it uses ").size()) +
                    " with other changes; put them in statements of their own and plan again");
    return RenameUse::None;
  }
  return use;
}

// A statement moved to contract as written; a CREATE INDEX there is built CONCURRENTLY.
std::string contract_sql(const std::string& text, const LoweredStatement& lo) {
  if (lo.changes.size() != 1) return text;
  auto* ix = lo.changes[0].as<CreateIndex>();
  if (!ix || ix->concurrently || ix->only) return text;
  auto words = top_words(text);
  auto w = std::find_if(words.begin(), words.end(), [](const Word& x) { return x.upper == "INDEX"; });
  if (w == words.end()) return text;
  std::string out = text;
  out.insert(w->end, " CONCURRENTLY");
  return out;
}

void assign_ids(Plan& plan) {
  int n = 0;
  for (auto& s : plan.steps) s.id = std::string(phase_name(s.phase)) + "-" + std::to_string(++n) + "-" + s.kind;
}

// The statements of atomic table swaps (analyzer/table_swaps.h). Staging either half on its own
// would break the swap (the rename would meet the table the plan keeps until contract, and contract
// would drop the replacement), so both run as written.
std::vector<char> swap_statements(const FileAnalysis& fa) {
  std::vector<char> swap(fa.lowered.size(), 0);
  for (size_t i = 0; i < fa.lowered.size(); ++i) {
    if (fa.lowered[i].do_block) continue;
    const auto& changes = fa.lowered[i].changes;
    for (size_t k = 0; k < changes.size(); ++k)
      if (auto* d = changes[k].as<DropTable>())
        for (auto& t : d->tables)
          if (auto r = swap_replacement(fa.lowered, i, k, fa.in_transaction[i], t)) swap[i] = swap[r->statement] = 1;
  }
  return swap;
}

}  // namespace

PlanResult make_plan(const FileAnalysis& fa, const PlanOptions& opts) {
  PlanResult result;
  const SourceFile& file = *fa.file;
  Catalog catalog = *fa.catalog_before;
  Ctx cx{file, catalog, opts, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  const std::vector<Statement>& statements = fa.statements;

  Passthrough pass;
  std::vector<char> swap = swap_statements(fa);
  std::vector<char> written(statements.size(), 0);  // the statement runs as written, in expand
  for (size_t i = 0; i < statements.size() && cx.error.empty(); ++i) {
    const Statement& st = statements[i];
    if (st.error) {
      cx.fail(int(st.error->offset), "syntax error: " + st.error->message + "; fix the statement before planning");
      break;
    }
    const LoweredStatement& lo = fa.lowered[i];
    StatementInput in;
    in.index = int(i);
    in.statement = &st;
    in.lowered = &lo;
    in.lock = fa.locks[i];
    in.in_transaction = fa.in_transaction[i];
    size_t prev_end = i == 0 ? file.up_begin : statements[i - 1].end;
    size_t next_begin = i + 1 < statements.size() ? statements[i + 1].begin : file.up_end;
    std::string fill_err;
    in.fills = find_fills(file, fa.comments, prev_end, st.begin, st.end, next_begin, fill_err);
    in.filled = filled_columns(lo);
    for (const Finding& f : fa.findings)
      if (fa.statement_of(f) == int(i)) in.rules.push_back(f.rule);
    if (!fill_err.empty()) {
      cx.fail(int(st.begin), fill_err);
      break;
    }

    // Transaction control and session timeouts belong to whoever runs the steps.
    if (lo.changes.size() == 1) {
      if (lo.changes[0].is<TransactionControl>()) continue;
      if (auto* sv = lo.changes[0].as<SetVariable>(); sv && is_session_setting(*sv)) continue;
    }

    std::string why_rename;
    RenameUse use = swap[i] ? RenameUse::None : rename_use(cx, lo, st.text(file), int(st.begin), why_rename);
    if (use == RenameUse::None && cx.error.empty() && !lo.do_block && lo.changes.size() == 1)
      if (auto* ix = lo.changes[0].as<CreateIndex>();
          ix && ix->unique && !ix->only &&
          std::any_of(cx.backfilled_tables.begin(), cx.backfilled_tables.end(),
                      [&](auto& t) { return same(t, ix->table); })) {
        // Built over the rows the plan's backfill fills (it runs after expand): after it, in contract.
        use = RenameUse::Contract;
        why_rename = "the unique index covers " + display_name(ix->table) +
                     ", whose rows the plan's backfill changes after expand; it is built after the backfill, "
                     "CONCURRENTLY";
      }
    if (!cx.error.empty()) break;
    if (use != RenameUse::None) {
      Step s = make_step(cx, Phase::Contract, "deferred",
                         std::string(use == RenameUse::Both ? "Run the migration's statement again in contract, "
                                                              "after the column swap: "
                                                            : "Run the migration's statement in contract: ") +
                             why_rename,
                         use == RenameUse::Both ? st.text(file) : contract_sql(st.text(file), lo), {}, "", int(i));
      for (auto& t : in.lock.tables) add_table(s.tables, t.table);
      cx.contract.push_back(std::move(s));
      if (use == RenameUse::Contract) {
        for (auto& c : lo.changes) catalog.apply(c, true);
        continue;
      }
    }
    size_t before = cx.expand.size();
    // Recipes only append: a statement's own steps and facts are undone by truncating.
    struct Mark {
      size_t expand, backfill, contract, deferred_columns, deferred_tables, backfilled_tables, pending_renames;
    } saved{cx.expand.size(),           cx.backfill.size(),        cx.contract.size(),
            cx.deferred_columns.size(), cx.deferred_tables.size(), cx.backfilled_tables.size(),
            cx.pending_renames.size()};
    auto undo = [&] {
      cx.expand.resize(saved.expand), cx.backfill.resize(saved.backfill), cx.contract.resize(saved.contract);
      cx.deferred_columns.resize(saved.deferred_columns), cx.deferred_tables.resize(saved.deferred_tables);
      cx.backfilled_tables.resize(saved.backfilled_tables), cx.pending_renames.resize(saved.pending_renames);
    };
    std::vector<bool> planned;
    for (auto& c : lo.changes) check_column_dependencies(cx, in, c);
    if (!cx.error.empty()) break;
    if (swap[i])  // a swap lint found unsafe cannot be staged either: say why instead of running it
      for (const Finding& f : fa.findings)
        if (fa.statement_of(f) == int(i) && f.rule == "dropping-table" && f.severity == Severity::Error) {
          cx.fail(int(f.begin), "this DROP TABLE is half of a table swap that pgstage cannot stage: " + f.message);
          break;
        }
    if (!cx.error.empty()) break;
    for (auto& c : lo.changes) {
      // DDL inside DO runs as written (we cannot take the block apart), and so does a table swap.
      if (lo.do_block || swap[i]) {
        planned.push_back(false);
        continue;
      }
      bool whole = false;
      planned.push_back(plan_change(cx, in, c, whole));
      if (!cx.error.empty()) break;
      if (whole) {  // the recipe's step runs the whole statement
        planned.assign(lo.changes.size(), true);
        break;
      }
    }
    if (!cx.error.empty()) break;
    bool any = std::find(planned.begin(), planned.end(), true) != planned.end();
    if (any) {
      if (std::find(planned.begin(), planned.end(), false) != planned.end()) {
        // Mixed: plan again change by change, the safe ones as statements of their own, in order.
        undo();
        // SET NOT NULL on a column this statement's staged type change replaces: it must hold on the
        // new column, so it follows the swap in contract (through a validated CHECK, no long scan).
        auto retyped_here = [&](const SetNotNull& nn) {
          for (size_t j = 0; j < lo.changes.size(); ++j)
            if (auto* a = lo.changes[j].as<AlterColumnType>();
                a && planned[j] && same(a->table, nn.table) && a->column == nn.column)
              return true;
          return false;
        };
        std::vector<const SetNotNull*> after_swap;
        for (size_t k = 0; k < lo.changes.size() && cx.error.empty(); ++k) {
          if (planned[k]) {
            plan_change(cx, in, lo.changes[k]);
            continue;
          }
          if (auto* nn = lo.changes[k].as<SetNotNull>(); nn && retyped_here(*nn)) {
            after_swap.push_back(nn);
            continue;
          }
          auto sql = render_change(lo.changes[k]);
          if (!sql) {
            cx.fail(lo.changes[k].location >= 0 ? lo.changes[k].location : int(st.begin),
                    "this statement mixes a change that must be staged with a part (" +
                        change_sql_words(lo.changes[k]) +
                        ") that cannot be split off automatically; put the staged change in its own statement and "
                        "plan again");
            break;
          }
          check_dependencies(cx, in, lo.changes[k]);
          cx.expand.push_back(make_step(cx, Phase::Expand, "passthrough",
                                        "Run this part of the migration's statement as written (safe)", *sql, {}, "",
                                        int(i)));
          for (auto& t : cx.expand.back().lock.tables) add_table(cx.expand.back().tables, t.table);
        }
        for (const SetNotNull* nn : after_swap)
          if (cx.error.empty()) not_null_via_check(cx, nn->table, nn->column, "setting-not-null", int(i));
        if (!cx.error.empty()) break;
      }
      // The statement's expand steps run after the statements before it: flush those first.
      std::vector<Step> mine(std::make_move_iterator(cx.expand.begin() + long(before)),
                             std::make_move_iterator(cx.expand.end()));
      cx.expand.resize(before);
      flush(cx, pass);
      for (auto& s : mine) cx.expand.push_back(std::move(s));
    } else if (std::string why = contract_dependency(cx, fa, i, lo); !why.empty()) {
      Step s = make_step(cx, Phase::Contract, "deferred", "Run the migration's statement in contract: " + why,
                         st.text(file), {}, "", int(i));
      for (auto& t : in.lock.tables) add_table(s.tables, t.table);
      cx.contract.push_back(std::move(s));
      for (auto& c : lo.changes) catalog.apply(c, true);
      continue;
    } else {
      for (auto& c : lo.changes) check_dependencies(cx, in, c);
      if (!cx.error.empty()) break;
    }
    if (any) {
      keep_deferred_dependencies(cx, saved.deferred_columns, saved.deferred_tables);
      for (auto& c : lo.changes) catalog.apply(c, true);
      continue;
    }

    written[i] = 1;
    // As written. A statement that cannot run in a transaction block (CONCURRENTLY, a DO block that
    // runs dynamic SQL) is a step of its own, and so is an INSERT ... SELECT into an existing table
    // (its own short transaction: its row locks are not held with the DDL of a passthrough group),
    // whether or not a finding is about them. Their lock facts are taken against the schema they run on.
    const Dml* dml = lo.changes.size() == 1 && !lo.do_block ? lo.changes[0].as<Dml>() : nullptr;
    bool alone = !in.lock.transactional || lo.do_block_dynamic;
    if (alone || (dml && dml->kind == DmlKind::Insert && dml->from_select && existing(cx, dml->table))) {
      flush(cx, pass);
      own_step(cx, in, /*transactional=*/!alone, "");
    } else {
      if (dml && dml->kind == DmlKind::Update && existing(cx, dml->table)) {
        std::string problem;
        if (auto spec = update_backfill_spec(cx, in, *dml, problem)) cx.updates_as_written.push_back(std::move(*spec));
      }
      if (pass.first < 0) pass.first = int(i);
      pass.sql.push_back(st.text(file));
      for (auto& t : in.lock.tables) add_table(pass.tables, t.table);
    }
    for (auto& c : lo.changes) catalog.apply(c, true);
  }
  if (cx.error.empty()) flush(cx, pass);
  // A finding whose rule has a recipe but whose statement runs as written (a DELETE that
  // backfill-in-migration reports, a constraint on a table the migration creates and fills, DDL in a
  // DO block): say so, as for a finding without a recipe.
  if (cx.error.empty())
    for (const Finding& f : fa.findings) {
      int at = fa.statement_of(f);
      if (f.severity == Severity::Hint || at < 0 || size_t(at) >= written.size() || !written[size_t(at)] ||
          !find_recipe(f.rule))
        continue;
      bool listed = std::any_of(cx.unplannable.begin(), cx.unplannable.end(),
                                [&](const Finding& u) { return u.statement_index == at && u.rule == f.rule; });
      if (listed) continue;
      Finding u = f;
      u.message = "this statement is not one the " + f.rule + " recipe stages: " + f.message;
      cx.unplannable.push_back(std::move(u));
    }
  result.unplannable = std::move(cx.unplannable);
  if (!cx.error.empty()) {
    result.error = cx.error;
    return result;
  }
  Plan& p = result.plan;
  p.source_path = file.path;
  p.phases = {PhaseInfo{Phase::Expand, kExpandRuns, kExpandReleases},
              PhaseInfo{Phase::Backfill, kBackfillRuns, kBackfillReleases},
              PhaseInfo{Phase::Contract, kContractRuns, kContractReleases}};
  for (auto* v : {&cx.expand, &cx.backfill, &cx.contract})
    for (auto& s : *v) p.steps.push_back(std::move(s));
  assign_ids(p);
  result.ok = true;
  return result;
}

}  // namespace pgstage::planner
