// Building blocks shared by the recipes: steps, NOT NULL through a CHECK, sync triggers, index copies.
#include <algorithm>
#include <cctype>

#include "analyzer/lower.h"
#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/sql.h"

namespace pgstage::planner::detail {

bool existing(const Ctx& cx, const QualifiedName& t) { return !cx.catalog.is_new(t); }

std::optional<std::string> fill_of(Ctx& cx, const StatementInput& in, const std::string& column) {
  std::string err;
  auto v = fill_for(cx.file, in.fills, in.filled, column, err);
  if (!err.empty() && cx.error.empty()) cx.error = err;  // err names the comment's file:line:column
  return v;
}

void keep_functions(Ctx& cx, const std::vector<std::string>& functions) {
  for (auto& f : functions)
    if (std::find(cx.kept_functions.begin(), cx.kept_functions.end(), f) == cx.kept_functions.end())
      cx.kept_functions.push_back(f);
}

std::string Ctx::where(int offset) const {
  Position p = file.position(offset < 0 ? 0 : size_t(offset));
  return file.path + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

void Ctx::fail(int offset, const std::string& msg) {
  if (error.empty()) error = where(offset) + ": " + msg;
}

std::vector<std::string> Ctx::primary_key(const QualifiedName& t) const {
  if (const CatalogTable* tab = catalog.table(t))
    for (auto& k : tab->constraints)
      if (k.kind == ConstraintKind::PrimaryKey && !k.columns.empty()) return k.columns;
  return {};
}

std::vector<std::string> Ctx::key_of(const QualifiedName& t, int offset, const std::string& why) {
  if (auto key = primary_key(t); !key.empty()) return key;
  fail(offset, why + ": the batched backfill walks " + display_name(t) +
                   " by its primary key, and none is known. Give the table a primary key, or pass the migrations "
                   "that create it with --history");
  return {};
}

const CatalogColumn* Ctx::column_of(const QualifiedName& t, const std::string& c, int offset, const std::string& why) {
  if (const CatalogTable* tab = catalog.table(t))
    if (const CatalogColumn* col = tab->column(c)) return col;
  fail(offset, why + ": column " + display_name(t) + "." + display_ident(c) +
                   " is not known; pass the migrations that create it with --history");
  return nullptr;
}

namespace {
LockFacts facts_of_sql(Ctx& cx, const std::string& sql) {
  LockFacts out;
  SourceFile f = make_source("<plan>", sql, Layout::Plain);
  ParsedFile pf = parse_source(f);
  for (auto& st : pf.statements) out.merge(lock_facts(lower(st, f).changes, cx.lock_ctx()));
  return out;
}
}  // namespace

Step make_step(Ctx& cx, Phase phase, std::string kind, std::string description, std::string sql,
               const std::vector<QualifiedName>& tables, const std::string& rule, int source_statement) {
  Step s;
  s.phase = phase;
  s.kind = std::move(kind);
  s.description = std::move(description);
  s.lock = facts_of_sql(cx, sql);
  s.transactional = s.lock.transactional;
  s.sql = std::move(sql);
  s.tables = tables;
  s.rule = rule;
  s.source_statement = source_statement;
  return s;
}

Step make_backfill(Ctx& cx, Phase phase, std::string description, BackfillSpec spec, const std::string& rule,
                   int source_statement) {
  Step s;
  s.phase = phase;
  s.kind = "backfill";
  s.description = std::move(description);
  s.backfill = std::move(spec);
  s.tables = {s.backfill->table};
  s.lock.add(s.backfill->table, LockMode::RowExclusive);
  s.lock.note = "one short transaction per batch of " + std::to_string(s.backfill->batch_size) + " rows";
  s.rule = rule;
  s.source_statement = source_statement;
  (void)cx;
  return s;
}

std::string add_nullable_column_sql(const QualifiedName& t, const std::string& column, const TypeName& type) {
  return "ALTER TABLE " + quote_name(t) + " ADD COLUMN IF NOT EXISTS " + quote_ident(column) + " " + type.sql();
}

void not_null_via_check(Ctx& cx, const QualifiedName& t, const std::string& column, const std::string& rule, int stmt) {
  std::string check = bounded_name(t.name + "_" + column + "_pgstage_not_null");
  std::string exists = "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = " + regclass_literal(t) +
                       " AND conname = " + quote_literal(check);
  // Re-runnable after later steps: the column may already be NOT NULL, or gone (swapped away).
  std::string nullable = "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = " + regclass_literal(t) +
                         " AND attname = " + quote_literal(column) + " AND NOT attisdropped AND NOT attnotnull";
  std::string who = display_name(t) + "." + display_ident(column);
  cx.contract.push_back(make_step(
      cx, Phase::Contract, "add-constraint-not-valid",
      "Add CHECK (" + display_ident(column) + " IS NOT NULL) NOT VALID on " + display_name(t) +
          ": new writes must set " + who + "; existing rows are checked by the next step without blocking writes",
      do_block("  IF EXISTS (" + nullable + ") AND NOT EXISTS (" + exists + ") THEN\n    ALTER TABLE " + quote_name(t) +
               " ADD CONSTRAINT " + quote_ident(check) + " CHECK (" + quote_ident(column) +
               " IS NOT NULL) NOT VALID;\n  END IF;\n"),
      {t}, rule, stmt));
  cx.contract.push_back(make_step(
      cx, Phase::Contract, "validate-constraint",
      "Validate the CHECK: scans " + display_name(t) + " under SHARE UPDATE EXCLUSIVE (reads and writes continue)",
      do_block("  IF EXISTS (" + exists + " AND NOT convalidated) THEN\n    ALTER TABLE " + quote_name(t) +
               " VALIDATE CONSTRAINT " + quote_ident(check) + ";\n  END IF;\n"),
      {t}, rule, stmt));
  cx.contract.push_back(
      make_step(cx, Phase::Contract, "set-not-null",
                "SET NOT NULL on " + who + ": Postgres uses the validated CHECK instead of scanning the table (PG 12+)",
                do_block("  IF EXISTS (" + nullable + ") THEN\n    ALTER TABLE " + quote_name(t) + " ALTER COLUMN " +
                         quote_ident(column) + " SET NOT NULL;\n  END IF;\n"),
                {t}, rule, stmt));
  cx.contract.push_back(
      make_step(cx, Phase::Contract, "drop-constraint", "Drop the temporary CHECK; the column's NOT NULL replaces it",
                "ALTER TABLE " + quote_name(t) + " DROP CONSTRAINT IF EXISTS " + quote_ident(check), {t}, rule, stmt));
}

QualifiedName trigger_function_name(const QualifiedName& t, const std::string& column, const std::string& what) {
  return sibling(t, bounded_name("pgstage_" + what + "_" + t.name + "_" + column));
}

std::string trigger_name(const std::string& column, const std::string& what) {
  return bounded_name("pgstage_" + what + "_" + column);
}

std::string create_trigger_sql(const QualifiedName& t, const std::string& trigger, const QualifiedName& function,
                               const std::string& function_body) {
  std::string tag = "$pgstage_fn$";
  for (int i = 1; function_body.find(tag) != std::string::npos; ++i) tag = "$pgstage_fn" + std::to_string(i) + "$";
  std::string fn = "CREATE OR REPLACE FUNCTION " + quote_name(function) + "() RETURNS trigger LANGUAGE plpgsql AS " +
                   tag + "\nBEGIN\n" + function_body + "  RETURN NEW;\nEND\n" + tag;
  std::string trg = "CREATE TRIGGER " + quote_ident(trigger) + " BEFORE INSERT OR UPDATE ON " + quote_name(t) +
                    " FOR EACH ROW EXECUTE FUNCTION " + quote_name(function) + "()";
  return fn + ";\n" +
         do_block("  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = " + regclass_literal(t) +
                  " AND tgname = " + quote_literal(trigger) + ") THEN\n    " + trg + ";\n  END IF;\n");
}

std::string drop_trigger_sql(const QualifiedName& t, const std::string& trigger, const QualifiedName& function) {
  return "DROP TRIGGER IF EXISTS " + quote_ident(trigger) + " ON " + quote_name(t) + ";\nDROP FUNCTION IF EXISTS " +
         quote_name(function) + "()";
}

std::string row_expr(const std::string& expr) { return "(SELECT " + expr + " FROM (SELECT NEW.*) AS pgstage_row)"; }

namespace {
// Calls ident(name, text, is_call) for each identifier token of `sql` (name: unquoted folded to lower
// case, quoted as written; is_call: followed by "(") and other(text) for everything between them
// (string literals and `--` comments whole), in order, so that a caller can rebuild the SQL.
template <class Ident, class Other>
void scan_identifiers(std::string_view sql, Ident ident, Other other) {
  size_t i = 0, n = sql.size();
  auto ident_char = [](char ch, bool first) {
    return std::isalpha(static_cast<unsigned char>(ch)) || ch == '_' ||
           (!first && (std::isdigit(static_cast<unsigned char>(ch)) || ch == '$'));
  };
  while (i < n) {
    char ch = sql[i];
    if (ch == '\'') {
      size_t e = i + 1;
      while (e < n && !(sql[e] == '\'' && (e + 1 >= n || sql[e + 1] != '\''))) e += sql[e] == '\'' ? 2 : 1;
      other(sql.substr(i, std::min(n, e + 1) - i));
      i = e + 1;
      continue;
    }
    if (ch == '-' && i + 1 < n && sql[i + 1] == '-') {
      size_t e = sql.find('\n', i);
      e = e == std::string_view::npos ? n : e;
      other(sql.substr(i, e - i));
      i = e;
      continue;
    }
    std::string name;
    size_t e = i;
    if (ch == '"') {
      e = i + 1;
      while (e < n && !(sql[e] == '"' && (e + 1 >= n || sql[e + 1] != '"'))) {
        name += sql[e];
        e += sql[e] == '"' ? 2 : 1;
      }
      e = std::min(n, e + 1);
    } else if (ident_char(ch, true)) {
      while (e < n && ident_char(sql[e], false)) name += char(std::tolower(static_cast<unsigned char>(sql[e++])));
    } else {
      other(sql.substr(i, 1));
      ++i;
      continue;
    }
    size_t after = e;
    while (after < n && std::isspace(static_cast<unsigned char>(sql[after]))) ++after;
    ident(name, sql.substr(i, e - i), after < n && sql[after] == '(');
    i = e;
  }
}

// Identifier tokens naming `from` become `to`; string literals, function names (followed by "(")
// and everything else are kept.
std::string rename_column_in_sql(const std::string& sql, const std::string& from, const std::string& to) {
  std::string out;
  scan_identifiers(
      sql,
      [&](const std::string& name, std::string_view text, bool call) {
        if (name == from && !call)
          out += quote_ident(to);
        else
          out += text;
      },
      [&](std::string_view text) { out += text; });
  return out;
}
}  // namespace

bool mentions_identifier(std::string_view sql, const std::string& name) {
  bool found = false;
  scan_identifiers(
      sql, [&](const std::string& id, std::string_view, bool call) { found = found || (id == name && !call); },
      [](std::string_view) {});
  return found;
}

std::string copied_index_name(const std::string& index) { return bounded_name(index + "_pgstage"); }

std::string index_body_sql(const CatalogIndex& ix, const CatalogTable* tab) {
  std::string list;
  for (size_t k = 0; k < ix.columns.size(); ++k) {
    const std::string& c = ix.columns[k];
    list += (list.empty() ? "" : ", ") + (!tab || tab->column(c) ? quote_ident(c) : "(" + c + ")");
    if (k < ix.key_options.size()) list += ix.key_options[k];
  }
  std::string include;
  for (auto& c : ix.include) include += (include.empty() ? "" : ", ") + quote_ident(c);
  std::string method = ix.method.empty() || ix.method == "btree" ? "" : " USING " + quote_ident(ix.method);
  return method + " (" + list + ")" + (include.empty() ? "" : " INCLUDE (" + include + ")") +
         index_storage_sql(ix.storage) + (ix.where_sql.empty() ? "" : " WHERE " + ix.where_sql);
}

std::string index_key_name(const std::string& key) {
  auto word = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
    });
  };
  if (word(key)) return key;
  size_t p = key.find('(');
  std::string fn = p == std::string::npos ? "" : key.substr(0, p);
  return word(fn) ? fn : "expr";
}

namespace {
// Postgres' name for the index of partition `p` that it creates for a parent index over `columns`.
std::string partition_index_name(const QualifiedName& p, const std::vector<std::string>& columns) {
  std::vector<std::string> names;
  for (const std::string& c : columns) names.push_back(index_key_name(c));
  return pg_default_name(p.name, names, "idx");
}

void add_partition_index_steps(Ctx& cx, const QualifiedName& parent, const std::string& parent_index,
                               const CatalogIndex& ix, const CatalogTable* tab, const std::string& rule, int stmt,
                               int depth, std::vector<Step>& out) {
  std::string body = index_body_sql(ix, tab);
  std::string kind = ix.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX";
  for (const CatalogTable* p : cx.catalog.partitions_of(parent)) {
    std::string name = partition_index_name(p->name, ix.columns);
    if (p->kind == "partitioned" && depth < 8) {
      out.push_back(make_step(cx, Phase::Expand, "create-index",
                              "Create index " + display_ident(name) + " on sub-partitioned " + display_name(p->name) +
                                  " alone (ON ONLY: catalog-only, left invalid until its partitions' are attached)",
                              kind + " IF NOT EXISTS " + quote_ident(name) + " ON ONLY " + quote_name(p->name) + body,
                              {p->name}, rule, stmt));
      add_partition_index_steps(cx, p->name, name, ix, tab, rule, stmt, depth + 1, out);
    } else {
      out.push_back(make_step(cx, Phase::Expand, "create-index-concurrently",
                              "Build index " + display_ident(name) + " on partition " + display_name(p->name) +
                                  " CONCURRENTLY (SHARE UPDATE EXCLUSIVE: writes continue), outside a transaction",
                              kind + " CONCURRENTLY IF NOT EXISTS " + quote_ident(name) + " ON " + quote_name(p->name) +
                                  body,
                              {p->name}, rule, stmt));
      out.back().transactional = false;
    }
    out.push_back(make_step(cx, Phase::Expand, "attach-index",
                            "Attach " + display_ident(name) + " to " + display_ident(parent_index) +
                                " (catalog-only; attaching one already attached does nothing)",
                            "ALTER INDEX " + quote_name(sibling(parent, parent_index)) + " ATTACH PARTITION " +
                                quote_name(sibling(p->name, name)),
                            {parent, p->name}, rule, stmt));
  }
}
}  // namespace

std::vector<Step> partitioned_index_steps(Ctx& cx, const QualifiedName& t, const CatalogIndex& ix,
                                          const CatalogTable* tab, const std::string& rule, int stmt, int offset) {
  std::vector<Step> out;
  if (cx.catalog.partitions_of(t).empty()) {
    cx.fail(offset, rule + ": " + display_name(t) +
                        " is partitioned, and Postgres refuses CREATE INDEX CONCURRENTLY there: the index is built "
                        "on each partition, but no partition of it is known; pass the migrations that create them "
                        "(--history) or --database-url");
    return out;
  }
  out.push_back(make_step(cx, Phase::Expand, "create-index",
                          "Create index " + display_ident(ix.name) + " on partitioned " + display_name(t) +
                              " alone (ON ONLY: catalog-only, no rows read; left invalid until every partition's "
                              "index is attached)",
                          std::string(ix.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX") + " IF NOT EXISTS " +
                              quote_ident(ix.name) + " ON ONLY " + quote_name(t) + index_body_sql(ix, tab),
                          {t}, rule, stmt));
  add_partition_index_steps(cx, t, ix.name, ix, tab, rule, stmt, 0, out);
  return out;
}

namespace {
// The staged rename or type change of column `c` of `t` by an earlier statement of this migration
// (still pending: its swap runs in contract), or nullptr.
const PendingRename* pending_change(const Ctx& cx, const QualifiedName& t, const std::string& c) {
  for (const PendingRename& pr : cx.pending_renames)
    if (Catalog::same(pr.table, t) && pr.to == c) return &pr;
  return nullptr;
}

// The column an index copy that must outlive every pending swap names for `c`: `to` for the column
// being replaced (`from`); for another column with a pending type change, its converted column
// (that swap renames it onto `c`); with a pending rename, the original column (that swap renames
// it, and drops the copy named `c`); else `c`.
std::string column_in_copy(const Ctx& cx, const QualifiedName& t, const std::string& c, const std::string& from,
                           const std::string& to) {
  if (c == from) return to;
  if (const PendingRename* pr = pending_change(cx, t, c)) return pr->retype ? pr->converted : pr->from;
  return c;
}
}  // namespace

std::string copy_name_for(const Ctx& cx, const QualifiedName& t, const std::string& index,
                          const std::vector<std::string>& columns, const std::string& column) {
  int earlier = 0;  // each of their recipes built a copy of this index too
  for (const std::string& c : columns)
    if (c != column && pending_change(cx, t, c)) ++earlier;
  return earlier == 0 ? copied_index_name(index) : bounded_name(index + "_pgstage" + std::to_string(earlier + 1));
}

namespace {
// The PRIMARY KEY or UNIQUE constraint of `t` that index `ix` backs (same name), or nullptr.
const CatalogConstraint* key_constraint_of(const Ctx& cx, const QualifiedName& t, const CatalogIndex& ix) {
  const CatalogTable* tab = cx.catalog.table(t);
  const CatalogConstraint* k = tab ? tab->constraint(ix.name) : nullptr;
  return k && (k->kind == ConstraintKind::PrimaryKey || k->kind == ConstraintKind::Unique) ? k : nullptr;
}
}  // namespace

void copy_indexes(Ctx& cx, const QualifiedName& t, const std::string& from, const std::string& to,
                  const std::string& rule, int stmt, int offset, std::vector<Step>& renames,
                  std::vector<Step>& after_backfill, bool skip_expressions, bool carry_keys) {
  for (const CatalogIndex* ix : cx.catalog.indexes_on(t)) {
    std::string upper_from;
    for (char ch : from) upper_from += char(std::toupper(static_cast<unsigned char>(ch)));
    // In a key (or a key's expression), the INCLUDE list or the predicate: dropping the column
    // drops the index either way.
    bool involves = std::any_of(ix->columns.begin(), ix->columns.end(),
                                [&](const std::string& c) {
                                  if (c == from) return true;
                                  auto words = top_words(c);
                                  return std::any_of(words.begin(), words.end(),
                                                     [&](const Word& w) { return w.upper == upper_from; });
                                }) ||
                    std::find(ix->include.begin(), ix->include.end(), from) != ix->include.end() ||
                    mentions_identifier(ix->where_sql, from);
    if (!involves) continue;
    // A unique or primary-key index is copied as a unique index (lookups and ON CONFLICT).
    const CatalogTable* tab = cx.catalog.table(t);
    bool plain = tab && std::all_of(ix->columns.begin(), ix->columns.end(),
                                    [&](const std::string& c) { return tab->column(c) != nullptr; });
    if (!plain && skip_expressions) continue;
    if (!plain) {
      cx.fail(offset, rule + ": index " + display_ident(ix->name) + " on " + display_name(t) +
                          " indexes an expression over the column, which the recipe cannot copy; drop it in this "
                          "migration and re-create it on the new column afterwards");
      return;
    }
    // The whole definition: method, per-key COLLATE / operator class / order, INCLUDE, predicate.
    // A copy that becomes the index after contract (carry_keys: a type change) must outlive the
    // swaps of the index's other columns that earlier statements rename or retype: it names the
    // columns those swaps keep (column_in_copy). A rename's copies only serve until its contract.
    std::vector<std::string> all = ix->columns;
    all.insert(all.end(), ix->include.begin(), ix->include.end());
    auto name_of = [&](const std::string& c) {
      return carry_keys ? column_in_copy(cx, t, c, from, to) : (c == from ? to : c);
    };
    CatalogIndex copy = *ix;
    for (auto& c : copy.columns) c = name_of(c);
    for (auto& c : copy.include) c = name_of(c);
    copy.where_sql = rename_column_in_sql(ix->where_sql, from, to);
    if (carry_keys)
      for (const std::string& c : all)
        if (c != from && name_of(c) != c) copy.where_sql = rename_column_in_sql(copy.where_sql, c, name_of(c));
    copy.name = copy_name_for(cx, t, ix->name, all, from);
    const std::string& tmp = copy.name;
    std::string sql = std::string("CREATE ") + (ix->unique ? "UNIQUE " : "") + "INDEX CONCURRENTLY IF NOT EXISTS " +
                      quote_ident(tmp) + " ON " + quote_name(t) + index_body_sql(copy, nullptr);
    if (tab && tab->kind == "partitioned") {
      // No CONCURRENTLY on a partitioned table: ON ONLY on it, then each partition's index.
      if (const CatalogConstraint* k = carry_keys ? key_constraint_of(cx, t, *ix) : nullptr) {
        cx.fail(offset, rule + ": " + display_name(t) + " is partitioned and " + who(t, from) + " is in its " +
                            (k->kind == ConstraintKind::PrimaryKey ? "PRIMARY KEY " : "UNIQUE constraint ") +
                            display_ident(k->name) +
                            ": Postgres cannot make a new index a partitioned table's constraint (no ADD CONSTRAINT "
                            "... USING INDEX there), so the key cannot move to the new column without rebuilding "
                            "it under lock; run this change in a maintenance window (-- pgstage:ignore "
                            "changing-column-type, with a reason)");
        return;
      }
      auto steps = partitioned_index_steps(cx, t, copy, nullptr, rule, stmt, offset);
      if (!cx.error.empty()) return;
      const bool later = ix->unique && ix->storage.nulls_not_distinct;  // as below
      for (auto& st : steps) {
        if (later) st.phase = Phase::Backfill;
        (later ? after_backfill : cx.expand).push_back(std::move(st));
      }
    } else if (const CatalogConstraint* k = carry_keys ? key_constraint_of(cx, t, *ix) : nullptr) {
      // The index of a PRIMARY KEY / UNIQUE constraint: built once the backfill has filled the new
      // column; the swap makes it the constraint's (ADD CONSTRAINT ... USING INDEX renames it).
      after_backfill.push_back(make_step(
          cx, Phase::Backfill, "create-index-concurrently",
          "Build the unique index of " + std::string(k->kind == ConstraintKind::PrimaryKey ? "PRIMARY KEY " : "UNIQUE ") +
              display_ident(k->name) +
              " on the new column, after the backfill filled it, without blocking writes (contract makes it the "
              "constraint's index)",
          sql, {t}, rule, stmt));
      continue;
    } else if (ix->unique && ix->storage.nulls_not_distinct)
      // NULLs count as equal: over the new column, still NULL in every row before the backfill, the
      // build would fail on the second row. Built once the backfill has filled it.
      after_backfill.push_back(make_step(
          cx, Phase::Backfill, "create-index-concurrently",
          "Build a copy of unique index " + display_ident(ix->name) +
              " (NULLS NOT DISTINCT) on the new column after the backfill filled it, without blocking writes",
          sql, {t}, rule, stmt));
    else
      cx.expand.push_back(
          make_step(cx, Phase::Expand, "create-index-concurrently",
                    "Build a copy of index " + display_ident(ix->name) + " on the new column without blocking writes",
                    sql, {t}, rule, stmt));
    renames.push_back(
        make_step(cx, Phase::Contract, "rename-index",
                  "Give the copied index the original name " + display_ident(ix->name) +
                      " (the old one went with the old column)",
                  "ALTER INDEX IF EXISTS " + quote_name(sibling(t, tmp)) + " RENAME TO " + quote_ident(ix->name), {t},
                  rule, stmt));
  }
}

namespace {
std::string validate_if_needed_sql(const QualifiedName& t, const std::string& name) {
  return do_block("  IF EXISTS (" + constraint_exists(t, name) + " AND NOT convalidated) THEN\n    ALTER TABLE " +
                  quote_name(t) + " VALIDATE CONSTRAINT " + quote_ident(name) + ";\n  END IF;\n");
}

std::string foreign_key_sql(const QualifiedName& t, const CatalogConstraint& k) {
  return "ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(k.name) + " FOREIGN KEY (" +
         column_list(k.columns) + ") REFERENCES " + quote_name(k.ref_table) +
         (k.ref_columns.empty() ? "" : " (" + column_list(k.ref_columns) + ")") + k.options + " NOT VALID";
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// The copy of key `name`'s index that copy_indexes builds for `column`.
std::string key_copy_name(const Ctx& cx, const QualifiedName& t, const std::string& name, const std::string& column) {
  const CatalogIndex* ix = cx.catalog.index(QualifiedName{t.schema, name});
  if (!ix) return copied_index_name(name);
  std::vector<std::string> all = ix->columns;
  all.insert(all.end(), ix->include.begin(), ix->include.end());
  return copy_name_for(cx, t, name, all, column);
}
}  // namespace

CarriedConstraints carry_constraints(Ctx& cx, const QualifiedName& t, const std::string& column,
                                     const std::string& to, const std::string& rule, int stmt) {
  CarriedConstraints out;
  const CatalogTable* tab = cx.catalog.table(t);
  if (!tab) return out;
  auto validate_later = [&](const QualifiedName& on, const CatalogConstraint& k, const std::string& what) {
    if (k.validated)
      out.validates.push_back(make_step(cx, Phase::Contract, "validate-constraint",
                                        "VALIDATE CONSTRAINT " + display_ident(k.name) + " (" + what +
                                            "): scans under SHARE UPDATE EXCLUSIVE; reads and writes continue",
                                        validate_if_needed_sql(on, k.name), {on}, rule, stmt));
  };
  std::vector<std::string> carried;  // names of t's constraints already re-added
  for (auto& k : tab->constraints) {
    if (k.kind == ConstraintKind::Check) {  // CHECK (c IS NOT NULL) as well: it names the column
      bool found = false;
      std::string sql = rename_column_refs(k.check_sql, column, to, &found);
      if (!found) continue;
      out.after.push_back("ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(k.name) + " CHECK (" +
                          sql + ") NOT VALID");
      validate_later(t, k, "carried over to the new column");
    } else if (k.kind == ConstraintKind::PrimaryKey || k.kind == ConstraintKind::Unique) {
      if (!has(k.columns, column)) continue;
      // The copy of its index (copy_indexes) covers the new column; this renames it to the constraint's
      // name, as the constraint's index is called after ALTER COLUMN TYPE.
      out.after.push_back("ALTER TABLE " + quote_name(t) + " ADD CONSTRAINT " + quote_ident(k.name) +
                          (k.kind == ConstraintKind::PrimaryKey ? " PRIMARY KEY" : " UNIQUE") + " USING INDEX " +
                          quote_ident(key_copy_name(cx, t, k.name, column)) + k.options);
    } else if (k.kind == ConstraintKind::ForeignKey) {
      if (!has(k.columns, column)) continue;
      out.after.push_back(foreign_key_sql(t, k));  // dropped with the old column
      validate_later(t, k, "carried over to the new column");
    } else {
      continue;
    }
    carried.push_back(k.name);
    out.constraints.emplace_back(t, k.name);
  }
  // Foreign keys to the column (other tables', or this one's): they depend on the key's index, so
  // the old column cannot be dropped under them. Dropped first, re-added NOT VALID on the new key.
  std::vector<std::string> pk = cx.primary_key(t);
  for (const CatalogTable* r : cx.catalog.tables_referencing(t))
    for (auto& k : r->constraints) {
      if (k.kind != ConstraintKind::ForeignKey || !Catalog::same(k.ref_table, t)) continue;
      if (!has(k.ref_columns.empty() ? pk : k.ref_columns, column)) continue;
      if (Catalog::same(r->name, t) && has(carried, k.name)) continue;
      out.before.push_back("ALTER TABLE " + quote_name(r->name) + " DROP CONSTRAINT " + quote_ident(k.name));
      out.after.push_back(foreign_key_sql(r->name, k));
      validate_later(r->name, k, "a foreign key to " + who(t, column) + ", re-created on the new column");
      out.tables.push_back(r->name);
      out.constraints.emplace_back(r->name, k.name);
    }
  return out;
}

bool refuse_constraints(Ctx& cx, const QualifiedName& t, const std::string& column, const std::string& rule,
                        int offset) {
  const CatalogTable* tab = cx.catalog.table(t);
  if (!tab) return false;
  for (auto& k : tab->constraints) {
    if (k.kind == ConstraintKind::NotNull || k.kind == ConstraintKind::ForeignKey) continue;  // carry_constraints
    if (k.kind == ConstraintKind::Check) continue;  // carry_constraints rewrites it over the new column
    if (std::find(k.columns.begin(), k.columns.end(), column) == k.columns.end()) continue;
    std::string why;
    if (k.kind == ConstraintKind::PrimaryKey || k.kind == ConstraintKind::Unique) {
      // Carried over through a copy of its index, which must be known and plain.
      const CatalogIndex* ix = cx.catalog.index(QualifiedName{t.schema, k.name});
      bool plain = ix && ix->where_sql.empty() &&
                   std::all_of(ix->columns.begin(), ix->columns.end(), [&](auto& c) { return tab->column(c); });
      if (plain) continue;  // copy_indexes builds its copy (over the columns pending swaps keep), carried
      why = ", whose index is not known (or not a plain column list), so the recipe cannot build it on the new "
            "column; pass the migrations that create it with --history, or stage the constraint by hand";
    } else if (k.kind == ConstraintKind::Exclusion) {
      why = ", an EXCLUDE constraint, which the recipe does not carry over to the new column; drop it in this "
            "migration and re-add it on the new column in the next";
    } else {
      why = ", which this recipe does not carry over to the new column; stage the constraint by hand "
            "(drop it in this migration and re-add it NOT VALID on the new column in the next)";
    }
    cx.fail(offset, rule + ": column " + display_name(t) + "." + display_ident(column) + " is part of constraint " +
                        display_ident(k.name) + why);
    return true;
  }
  return false;
}

int at(const StatementInput& in, const Change& c) { return c.location >= 0 ? c.location : int(in.statement->begin); }

std::string who(const QualifiedName& t, const std::string& c) { return display_name(t) + "." + display_ident(c); }

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

void validate_step(Ctx& cx, const QualifiedName& t, const std::string& name, const std::string& rule, int stmt,
                   const std::string& why) {
  cx.contract.push_back(make_step(cx, Phase::Contract, "validate-constraint",
                                  "VALIDATE CONSTRAINT " + display_ident(name) + ": " + why +
                                      " under SHARE UPDATE EXCLUSIVE; reads and writes continue",
                                  validate_if_needed_sql(t, name), {t}, rule, stmt));
}

// A CONCURRENTLY statement cannot be atomic; make it re-runnable when the name allows.
std::string rerunnable(const std::string& sql, const LoweredStatement& lo) {
  if (lo.changes.size() != 1) return sql;
  auto words = top_words(sql);
  auto conc = std::find_if(words.begin(), words.end(), [](const Word& w) { return w.upper == "CONCURRENTLY"; });
  if (conc == words.end()) return sql;
  std::string out = sql;
  if (auto* ci = lo.changes[0].as<CreateIndex>(); ci && ci->concurrently && !ci->if_not_exists && !ci->name.empty())
    out.insert(conc->end, " IF NOT EXISTS");
  if (auto* di = lo.changes[0].as<DropIndex>(); di && di->concurrently && !di->if_exists)
    out.insert(conc->end, " IF EXISTS");
  return out;
}

void add_table(std::vector<QualifiedName>& v, const QualifiedName& t) {
  if (!t.empty() && std::none_of(v.begin(), v.end(), [&](auto& x) { return Catalog::same(x, t); })) v.push_back(t);
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
                   pr.description + (pr.before.empty() ? ""
                                                       : "; the migration's views, triggers and SQL-body functions "
                                                         "over " +
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

}  // namespace pgstage::planner::detail
