// Recipes for tables, constraints, indexes and data changes.
#include <algorithm>
#include <cctype>

#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/sql.h"

namespace pgstage::planner::detail {

namespace {

int at(const StatementInput& in, const Change& c) { return c.location >= 0 ? c.location : int(in.statement->begin); }

std::string text_of(const Ctx& cx, const StatementInput& in) { return in.statement->text(cx.file); }

bool single(Ctx& cx, const StatementInput& in, const Change& c, const std::string& rule) {
  if (in.lowered->changes.size() == 1 && !c.from_do_block) return true;
  cx.fail(at(in, c), rule +
                         ": the statement does more than this one change (or runs in a DO block); put it in its "
                         "own statement so it can be staged, then plan again");
  return false;
}

std::string constraint_exists(const QualifiedName& t, const std::string& name) {
  return "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = " + regclass_literal(t) +
         " AND conname = " + quote_literal(name);
}

std::string column_list(const std::vector<std::string>& cols) {
  std::string s;
  for (auto& c : cols) s += (s.empty() ? "" : ", ") + quote_ident(c);
  return s;
}

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

void validate_step(Ctx& cx, const QualifiedName& t, const std::string& name, const std::string& rule, int stmt,
                   const std::string& why) {
  cx.contract.push_back(make_step(
      cx, Phase::Contract, "validate-constraint",
      "VALIDATE CONSTRAINT " + display_ident(name) + ": " + why +
          " under SHARE UPDATE EXCLUSIVE; reads and writes continue",
      do_block("  IF EXISTS (" + constraint_exists(t, name) + " AND NOT convalidated) THEN\n    ALTER TABLE " +
               quote_name(t) + " VALIDATE CONSTRAINT " + quote_ident(name) + ";\n  END IF;\n"),
      {t}, rule, stmt));
}

std::string index_column_name(const std::string& col) {
  bool plain = !col.empty();
  for (char ch : col)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) plain = false;
  if (plain) return col;
  size_t p = col.find('(');
  std::string fn = p == std::string::npos ? "" : col.substr(0, p);
  bool ident = !fn.empty();
  for (char ch : fn)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) ident = false;
  return ident ? fn : "expr";
}

}  // namespace

bool plan_rename_table(Ctx& cx, const StatementInput& in, const Change& c) {
  const RenameTable& r = *c.as<RenameTable>();
  if (r.is_view || !existing(cx, r.table)) return false;
  const std::string rule = "renaming-table";
  if (!single(cx, in, c, rule)) return true;
  const QualifiedName& t = r.table;
  QualifiedName nt = sibling(t, r.new_name);
  std::string is_table = "SELECT 1 FROM pg_catalog.pg_class WHERE oid = to_regclass(" + quote_literal(quote_name(t)) +
                         ") AND relkind IN ('r', 'p')";
  cx.expand.push_back(
      make_step(cx, Phase::Expand, "rename-table",
                "Rename " + display_name(t) + " to " + display_name(nt) +
                    " and, in the same transaction, create the view " + display_name(t) +
                    " over it: a simple view is updatable, so the old release keeps reading and writing "
                    "through the old name",
                do_block("  IF EXISTS (" + is_table + ") THEN\n    ALTER TABLE " + quote_name(t) + " RENAME TO " +
                         quote_ident(r.new_name) + ";\n    CREATE VIEW " + quote_name(t) + " AS SELECT * FROM " +
                         quote_name(nt) + ";\n  END IF;\n"),
                {t, nt}, rule, in.index));
  cx.contract.push_back(make_step(cx, Phase::Contract, "drop-view",
                                  "Drop the compatibility view " + display_name(t) + ": no release uses the old name",
                                  "DROP VIEW IF EXISTS " + quote_name(t), {t}, rule, in.index));
  cx.deferred_tables.push_back(t);
  return true;
}

// DROP DEFAULT that the running release relies on (lint's dropping-default: its INSERTs leave the
// column out): contract, once only the new release runs. A drop lint is silent on (the default set
// again before COMMIT, a new column, no default) runs as written.
bool plan_drop_default(Ctx& cx, const StatementInput& in, const Change& c) {
  const DropDefault& d = *c.as<DropDefault>();
  if (!existing(cx, d.table) || std::find(in.rules.begin(), in.rules.end(), "dropping-default") == in.rules.end())
    return false;
  cx.contract.push_back(make_step(cx, Phase::Contract, "drop-default",
                                  "Drop the default of " + display_name(d.table) + "." + display_ident(d.column) +
                                      " once no release leaves the column out of its INSERTs",
                                  "ALTER TABLE " + quote_name(d.table) + " ALTER COLUMN " + quote_ident(d.column) +
                                      " DROP DEFAULT",
                                  {d.table}, "dropping-default", in.index));
  return true;
}

bool plan_drop_table(Ctx& cx, const StatementInput& in, const Change& c) {
  const DropTable& d = *c.as<DropTable>();
  bool any = std::any_of(d.tables.begin(), d.tables.end(), [&](const QualifiedName& t) { return existing(cx, t); });
  if (!any) return false;
  std::string names;
  for (auto& t : d.tables) names += (names.empty() ? "" : ", ") + quote_name(t);
  cx.contract.push_back(
      make_step(cx, Phase::Contract, "drop-table", "Drop " + names + " once no release reads or writes it",
                "DROP TABLE IF EXISTS " + names + (d.cascade ? " CASCADE" : ""), d.tables, "dropping-table", in.index));
  for (auto& t : d.tables) cx.deferred_tables.push_back(t);
  return true;
}

bool plan_add_constraint(Ctx& cx, const StatementInput& in, const Change& c) {
  const AddConstraint& a = *c.as<AddConstraint>();
  const Constraint& k = a.constraint;
  const QualifiedName& t = a.table;
  if (!existing(cx, t)) return false;
  const CatalogTable* tab = cx.catalog.table(t);
  if (k.kind == ConstraintKind::ForeignKey || k.kind == ConstraintKind::Check) {
    if (k.not_valid) return false;
    std::string rule = k.kind == ConstraintKind::ForeignKey ? "adding-foreign-key" : "adding-check-constraint";
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
  if (k.kind == ConstraintKind::Unique && k.using_index.empty()) {
    std::string rule = "adding-unique-constraint";
    std::string name = k.name.empty() ? pg_default_name(t.name, k.columns, "key") : k.name;
    cx.expand.push_back(make_step(cx, Phase::Expand, "create-index-concurrently",
                                  "Build the unique index " + display_ident(name) + " without blocking writes",
                                  "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(name) + " ON " +
                                      quote_name(t) + " (" + column_list(k.columns) + ")",
                                  {t}, rule, in.index));
    cx.expand.push_back(
        make_step(cx, Phase::Expand, "add-constraint-using-index",
                  "Turn the index into the UNIQUE constraint " + display_ident(name) + " (catalog-only, brief lock)",
                  do_block("  IF NOT EXISTS (" + constraint_exists(t, name) + ") THEN\n    ALTER TABLE " +
                           quote_name(t) + " ADD CONSTRAINT " + quote_ident(name) + " UNIQUE USING INDEX " +
                           quote_ident(name) + (k.deferrable ? " DEFERRABLE" : "") + ";\n  END IF;\n"),
                  {t}, rule, in.index));
    return true;
  }
  if (k.kind == ConstraintKind::PrimaryKey) {
    std::vector<std::string> nullable;
    std::vector<std::string> cols = k.columns;
    if (!k.using_index.empty()) {
      if (const CatalogIndex* ix = cx.catalog.index(sibling(t, k.using_index))) cols = ix->columns;
    }
    for (auto& col : cols) {
      const CatalogColumn* cc = tab ? tab->column(col) : nullptr;
      if (!cc || !cc->not_null) nullable.push_back(col);
    }
    if (!k.using_index.empty() && nullable.empty()) return false;
    std::string rule = "adding-primary-key";
    std::string name = k.name.empty() ? pg_default_name(t.name, "", "pkey") : k.name;
    std::string index = k.using_index.empty() ? name : k.using_index;
    if (k.using_index.empty())
      cx.expand.push_back(make_step(cx, Phase::Expand, "create-index-concurrently",
                                    "Build the unique index for the primary key without blocking writes",
                                    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(index) + " ON " +
                                        quote_name(t) + " (" + column_list(cols) + ")",
                                    {t}, rule, in.index));
    for (auto& col : nullable) not_null_via_check(cx, t, col, rule, in.index);
    cx.contract.push_back(make_step(
        cx, Phase::Contract, "add-constraint-using-index",
        "Turn the index into the primary key " + display_ident(name) + " (the columns are already NOT NULL: no scan)",
        do_block("  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = " + regclass_literal(t) +
                 " AND contype = 'p') THEN\n    ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(name) +
                 " PRIMARY KEY USING INDEX " + quote_ident(index) + ";\n  END IF;\n"),
        {t}, rule, in.index));
    return true;
  }
  return false;
}

bool plan_create_index(Ctx& cx, const StatementInput& in, const Change& c) {
  const CreateIndex& ci = *c.as<CreateIndex>();
  if (ci.concurrently || !existing(cx, ci.table)) return false;
  const std::string rule = "create-index-non-concurrent";
  if (!single(cx, in, c, rule)) return true;
  std::string sql = text_of(cx, in);
  auto words = top_words(sql);
  auto idx = std::find_if(words.begin(), words.end(), [](const Word& w) { return w.upper == "INDEX"; });
  if (idx == words.end()) {
    cx.fail(at(in, c), rule + ": cannot find INDEX in the statement");
    return true;
  }
  std::string insert = " CONCURRENTLY";
  std::string name = ci.name;
  if (!ci.if_not_exists) {
    if (name.empty()) {
      std::vector<std::string> cols;
      for (auto& col : ci.columns) cols.push_back(index_column_name(col));
      name = pg_default_name(ci.table.name, cols, "idx");  // ChooseIndexName: "key" is for constraints only
      insert += " IF NOT EXISTS " + quote_ident(name);
    } else {
      insert += " IF NOT EXISTS";
    }
  }
  sql.insert(idx->end, insert);
  cx.expand.push_back(make_step(cx, Phase::Expand, "create-index-concurrently",
                                "Build index " + display_ident(name) + " on " + display_name(ci.table) +
                                    " CONCURRENTLY (SHARE UPDATE EXCLUSIVE: writes continue), outside a transaction",
                                sql, {ci.table}, rule, in.index));
  cx.expand.back().transactional = false;
  return true;
}

bool plan_drop_index(Ctx& cx, const StatementInput& in, const Change& c) {
  const DropIndex& d = *c.as<DropIndex>();
  if (d.concurrently) return false;
  bool any = std::any_of(d.names.begin(), d.names.end(), [&](const QualifiedName& n) {
    const CatalogIndex* ix = cx.catalog.index(n);
    return !ix || !ix->created_in_review;
  });
  if (!any) return false;
  const std::string rule = "drop-index-non-concurrent";
  if (d.cascade) {
    cx.fail(at(in, c), rule +
                           ": DROP INDEX CONCURRENTLY cannot CASCADE; drop the dependent objects first, then the "
                           "index without CASCADE, and plan again");
    return true;
  }
  for (auto& n : d.names) {
    const CatalogIndex* ix = cx.catalog.index(n);
    std::vector<QualifiedName> tables;
    if (ix) tables.push_back(ix->table);
    Step s = make_step(cx, Phase::Expand, "drop-index-concurrently",
                       "Drop index " + display_name(n) +
                           " CONCURRENTLY (reads and writes continue), outside a "
                           "transaction",
                       "DROP INDEX CONCURRENTLY IF EXISTS " + quote_name(n), tables, rule, in.index);
    s.transactional = false;
    cx.expand.push_back(std::move(s));
  }
  return true;
}

bool plan_reindex(Ctx& cx, const StatementInput& in, const Change& c) {
  const Reindex& r = *c.as<Reindex>();
  if (r.concurrently || r.kind == "system" || cx.opts.settings.pg_version < 12) return false;
  std::string kind = r.kind;
  for (auto& ch : kind) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  std::string target = r.kind == "schema" || r.kind == "database" ? quote_ident(r.name.name) : quote_name(r.name);
  Step s = make_step(cx, Phase::Expand, "reindex-concurrently",
                     "Rebuild " + display_name(r.name) + " CONCURRENTLY (writes continue), outside a transaction",
                     "REINDEX " + kind + " CONCURRENTLY " + target, {}, "reindex-non-concurrent", in.index);
  s.transactional = false;
  cx.expand.push_back(std::move(s));
  return true;
}

bool plan_dml(Ctx& cx, const StatementInput& in, const Change& c) {
  const Dml& d = *c.as<Dml>();
  if (d.kind == DmlKind::Delete && !d.has_where && existing(cx, d.table)) {
    Finding f;
    f.rule = "unbounded-dml";
    f.category = Category::Data;
    f.severity = Severity::Warning;
    f.file = cx.file.path;
    f.begin = in.statement->begin;
    f.end = in.statement->end;
    f.start = cx.file.position(f.begin);
    f.stop = cx.file.position(f.end);
    f.message = "DELETE without WHERE on " + display_name(d.table) +
                " runs as written, in one transaction: a batched backfill only stages UPDATEs";
    f.statement_index = in.index;
    cx.unplannable.push_back(std::move(f));
    return false;
  }
  if (d.kind != DmlKind::Update || !existing(cx, d.table)) return false;
  std::string rule = d.has_where ? "backfill-in-migration" : "unbounded-dml";
  if (!single(cx, in, c, rule)) return true;
  std::string sql = text_of(cx, in);
  auto words = top_words(sql);
  auto find = [&](const char* kw) {
    return std::find_if(words.begin(), words.end(), [&](const Word& w) { return w.depth == 0 && w.upper == kw; });
  };
  auto set = find("SET");
  const char* form =
      ": only `UPDATE table SET ... [FROM ...] [WHERE ...]` can become a batched backfill; rewrite the statement "
      "in that form (no WITH, alias, RETURNING or WHERE CURRENT OF; in FROM, name the updated table by its name)";
  if (words.empty() || words[0].upper != "UPDATE" || set == words.end()) {
    cx.fail(at(in, c), rule + form);
    return true;
  }
  // Between UPDATE [ONLY] and SET there must be nothing but the table name (no alias).
  size_t name_words = 0;
  for (auto w = words.begin() + 1; w != set; ++w)
    if (w->upper != "ONLY") ++name_words;
  size_t parts = d.table.schema.empty() ? 1 : 2;
  if (find("RETURNING") != words.end() || name_words > parts || (find("CURRENT") != words.end())) {
    cx.fail(at(in, c), rule + form);
    return true;
  }
  auto where = find("WHERE");
  auto from = find("FROM");
  if (from != words.end() && where != words.end() && where->begin < from->begin) from = words.end();
  size_t set_end = from != words.end() ? from->begin : (where == words.end() ? sql.size() : where->begin);
  std::string set_sql = sql.substr(set->end, set_end - set->end);
  std::string from_sql =
      from == words.end() ? "" : sql.substr(from->end, (where == words.end() ? sql.size() : where->begin) - from->end);
  std::string predicate = where == words.end() ? "" : sql.substr(where->end);
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  auto key = cx.key_of(d.table, at(in, c), rule);
  if (key.empty()) return true;
  cx.backfill.push_back(
      make_backfill(cx, Phase::Backfill,
                    "Run the migration's UPDATE of " + display_name(d.table) +
                        " in short batches by key instead of one long transaction that holds locks on the whole table",
                    BackfillSpec{d.table, key, trim(set_sql), trim(predicate), cx.opts.batch_size, trim(from_sql)},
                    rule, in.index));
  cx.backfilled_tables.push_back(d.table);
  return true;
}

}  // namespace pgstage::planner::detail
