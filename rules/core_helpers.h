// Helpers for the compat, locking, rewrite and transaction rules: catalog look-ups and SQL
// snippets for help texts. Header-only so the rule registry (one .cpp per rule) stays exact.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "rules/helpers.h"

namespace pgstage::rules {

// The column as the catalog knows it before the statement, or null.
inline const CatalogColumn* known_column(const StatementContext& ctx, const QualifiedName& t, const std::string& c) {
  const CatalogTable* tab = ctx.catalog.table(t);
  return tab ? tab->column(c) : nullptr;
}

// "\"a\", \"b\"" for generated SQL; expression keys (with parentheses or spaces) are kept as written.
inline std::string column_list_sql(const std::vector<std::string>& cols) {
  std::string out;
  for (size_t i = 0; i < cols.size(); ++i) {
    const std::string& c = cols[i];
    bool expr = c.find_first_of("() +-*/:'") != std::string::npos;
    out += (i ? ", " : "") + (expr ? "(" + c + ")" : quote_ident(c));
  }
  return out;
}

// "`a`, `b`" for messages.
inline std::string column_list_display(const std::vector<std::string>& cols) {
  std::string out;
  for (size_t i = 0; i < cols.size(); ++i) out += (i ? ", " : "") + std::string("`") + display_ident(cols[i]) + "`";
  return out;
}

// A constraint or index name for generated SQL when the statement did not name one.
inline std::string name_or(const std::string& name, const QualifiedName& table, const std::vector<std::string>& cols,
                           const std::string& suffix) {
  if (!name.empty()) return name;
  std::string n = table.name;
  for (auto& c : cols)
    if (c.find_first_of("() +-*/:'") == std::string::npos) n += "_" + c;
  return n + "_" + suffix;
}

// " (blocks reads and writes)"-style phrase of the lock one Change takes on `t`.
inline std::string lock_on(const StatementContext& ctx, const Change& c, const QualifiedName& t) {
  return holding(ctx.lock_of(c), t);
}

// The strongest lock held on `t` once Change `c` has run: its own, the rest of its statement's
// (Postgres takes the strongest lock of an ALTER TABLE's subcommands for all of them; in a DO block,
// the Changes before it) and what earlier statements of the transaction took.
inline LockMode strongest_lock_on(const StatementContext& ctx, const Change& c, const QualifiedName& t) {
  LockMode m = LockMode::None;
  auto take = [&](const LockFacts& f) {
    for (auto& tl : f.tables)
      if (Catalog::same(tl.table, t)) m = std::max(m, tl.mode);
  };
  take(ctx.lock_of(c));
  if (!ctx.lowered.do_block) {
    take(ctx.lock);
  } else {
    for (const Change& e : ctx.lowered.changes) {
      if (&e == &c) break;
      if (!e.is<TransactionControl>() && !e.is<SetVariable>()) take(ctx.lock_of(e));
    }
  }
  if (ctx.tx.in_transaction)
    for (auto& h : ctx.tx.held_locks)
      if (Catalog::same(h.table, t)) m = std::max(m, h.mode);
  return m;
}

// The planner hint on its own line, for help texts that end with SQL.
inline std::string plan_line() { return std::string("\n") + (kPlanHint + 1); }

// Where the statement's transaction comes from, for transaction-rule messages.
inline std::string tx_origin(const StatementContext& ctx) {
  if (ctx.tx.explicit_block) return "inside the BEGIN ... COMMIT block of this file";
  if (ctx.tx.implicit_block)
    return "inside the implicit transaction Postgres runs a multi-statement query in (" +
           std::string(layout_name(ctx.file.layout)) + " sends this file as one query)";
  if (ctx.file.layout == Layout::Plain || ctx.file.layout == Layout::Auto)
    return "inside the transaction the migration runner wraps around this file";
  return std::string("inside the transaction the ") + std::string(layout_name(ctx.file.layout)) +
         " runner wraps around this file";
}

}  // namespace pgstage::rules

namespace pgstage::rules {

// The Changes of the statements after the current one in the file.
inline std::vector<Change> later_changes(const StatementContext& ctx) {
  std::vector<Change> out;
  const FileView& fv = ctx.file_view;
  for (size_t i = 0; i < fv.size(); ++i)
    if (fv.statements()[i].begin >= ctx.statement.end)
      for (auto& c : fv.lowered()[i].changes) out.push_back(c);
  return out;
}

// `DROP ... IF EXISTS` of something the replayed history does not know: most likely a no-op.
inline bool absent_if_exists(const StatementContext& ctx, bool if_exists, bool known) {
  return if_exists && ctx.schema_known && !known;
}

}  // namespace pgstage::rules

namespace pgstage::rules {

// The column as defined earlier in the file under review (CREATE TABLE / ADD COLUMN, then renames,
// type changes, SET/DROP NOT NULL and DEFAULT), for tables the catalog does not know. Null when the
// file does not define it.
inline std::optional<ColumnDef> column_from_file(const StatementContext& ctx, const QualifiedName& t,
                                                 const std::string& column) {
  std::map<std::string, ColumnDef> cols;
  auto same = [&](const QualifiedName& m) { return Catalog::same(m, t); };
  const FileView& fv = ctx.file_view;
  const std::vector<size_t>& touched = fv.column_changes_on(Catalog::key(t));
  if (touched.empty()) return std::nullopt;
  for (size_t i : touched) {
    if (fv.statements()[i].begin >= ctx.statement.begin) break;
    for (auto& c : fv.lowered()[i].changes) {
      if (auto* ct = c.as<CreateTable>(); ct && same(ct->table))
        for (auto& cd : ct->columns) cols[cd.name] = cd;
      if (auto* ac = c.as<AddColumn>(); ac && same(ac->table)) cols[ac->column.name] = ac->column;
      if (auto* x = c.as<DropColumn>(); x && same(x->table)) cols.erase(x->column);
      if (auto* x = c.as<RenameColumn>(); x && same(x->table) && cols.count(x->column)) {
        ColumnDef cd = cols[x->column];
        cols.erase(x->column);
        cd.name = x->new_name;
        cols[x->new_name] = cd;
      }
      auto it = cols.end();
      auto find = [&](const QualifiedName& tab, const std::string& name) {
        it = same(tab) ? cols.find(name) : cols.end();
        return it != cols.end();
      };
      if (auto* x = c.as<AlterColumnType>(); x && find(x->table, x->column)) it->second.type = x->new_type;
      if (auto* x = c.as<SetNotNull>(); x && find(x->table, x->column)) it->second.not_null = true;
      if (auto* x = c.as<DropNotNull>(); x && find(x->table, x->column)) it->second.not_null = false;
      if (auto* x = c.as<SetDefault>(); x && find(x->table, x->column)) it->second.default_expr = x->expr;
      if (auto* x = c.as<DropDefault>(); x && find(x->table, x->column)) it->second.default_expr.reset();
    }
  }
  auto it = cols.find(column);
  if (it == cols.end()) return std::nullopt;
  return it->second;
}

}  // namespace pgstage::rules

namespace pgstage::rules {

// True when the column was added earlier in the change set under review: no running code uses it.
// For a table the catalog does not know (no history), an earlier ADD COLUMN in this file counts.
inline bool column_is_new(const StatementContext& ctx, const QualifiedName& t, const std::string& c) {
  if (ctx.catalog.table(t)) {
    const CatalogColumn* col = known_column(ctx, t, c);
    return col && col->created_in_review;
  }
  return column_from_file(ctx, t, c).has_value();
}

// The column's type before the statement: from the catalog, or an earlier statement of this file.
inline std::optional<TypeName> known_type(const StatementContext& ctx, const QualifiedName& t, const std::string& c) {
  if (const CatalogColumn* col = known_column(ctx, t, c)) return col->type;
  if (!ctx.catalog.table(t))
    if (auto cd = column_from_file(ctx, t, c)) return cd->type;
  return std::nullopt;
}

}  // namespace pgstage::rules

namespace pgstage::rules {

// A populated new table: created in the change set under review, so the running release does not
// use it and the rules about existing tables leave it alone, yet filled with rows from other tables
// (CREATE TABLE n AS SELECT ... FROM t, or INSERT INTO n SELECT ... / COPY; the catalog marks it
// Rows::Copied). A constraint or an index added to it later scans all those rows. Its own lock blocks
// no query, so what the scan costs depends on what the migration holds meanwhile: a lock that blocks
// writes (or reads) on a table in use, taken earlier in the transaction or by the same statement (a
// foreign key's referenced table), stays held for the whole scan.
struct PopulatedNewTable {
  QualifiedName table;
  std::vector<QualifiedName> sources;  // the tables its rows were copied from (in use, or populated new tables)
  std::vector<TableLock> held;         // read- or write-blocking locks on tables in use, held during the scan

  // "every row copied into `n` from `orders`"
  std::string rows() const {
    std::string s = "every row copied into " + tick(table);
    if (sources.empty()) return s;
    for (size_t i = 0; i < sources.size(); ++i)
      s += (i == 0 ? " from " : i + 1 == sources.size() ? " and " : ", ") + tick(sources[i]);
    return s;
  }
  // The rule's own severity when the scan keeps a lock on a table in use; a warning otherwise (the
  // migration takes longer, no query waits).
  Severity severity(Severity blocking) const { return held.empty() ? Severity::Warning : blocking; }
  // ": `n` is new, so ..." for the end of a message about the scan.
  std::string consequence() const {
    if (held.empty())
      return ": " + tick(table) +
             " is new and the running release does not use it, so its lock blocks no query, but the migration "
             "runs the whole scan";
    std::string locks;
    for (size_t i = 0; i < held.size(); ++i) {
      std::string p = lock_phrase(held[i].mode);
      bool vowel = !p.empty() && std::string("AEIOU").find(p[0]) != std::string::npos;
      locks += (i == 0 ? "" : i + 1 == held.size() ? " and " : ", ") + std::string(vowel ? "an " : "a ") + p +
               " on " + tick(held[i].table);
    }
    return ": " + tick(table) + " is new, so its own lock blocks no query, but the migration holds " + locks +
           " meanwhile, and traffic on " + (held.size() == 1 ? "that table" : "those tables") +
           " waits for the whole scan";
  }
  // The first line of the help when no lock on a table in use is held.
  std::string lone_help() const {
    return tick(table) +
           " is not in use yet, so this only lengthens the migration by the scan; keep it out of transactions that "
           "lock tables in use. Or ";
  }
};

namespace detail {
// Whether `t` has rows that came from tables in use: copied from an existing table or from another
// populated new table. A copy of new, empty tables has none; rows from COPY ... FROM stdin or a query
// of no table (INSERT ... SELECT 'a') are written in the migration itself, like a seed table's.
inline bool copied_rows(const StatementContext& ctx, const QualifiedName& t, int depth = 0) {
  const CatalogTable* tab = ctx.catalog.table(t);
  if (!tab || !ctx.catalog.is_new(t) || tab->rows != CatalogTable::Rows::Copied) return false;
  for (auto& src : tab->copied_from)
    if (!ctx.catalog.is_new(src) || (depth < 8 && !Catalog::same(src, t) && copied_rows(ctx, src, depth + 1)))
      return true;
  return false;
}
}  // namespace detail

// The populated new table `t`, for Change `c` of the statement (nullopt when `t` is not one).
inline std::optional<PopulatedNewTable> populated_new_table(const StatementContext& ctx, const Change& c,
                                                            const QualifiedName& t) {
  if (!detail::copied_rows(ctx, t)) return std::nullopt;
  PopulatedNewTable p;
  p.table = t;
  for (auto& src : ctx.catalog.table(t)->copied_from)
    if ((!ctx.catalog.is_new(src) || detail::copied_rows(ctx, src, 1)) && !TxState::contains(p.sources, src))
      p.sources.push_back(src);
  auto hold = [&](const TableLock& tl) {
    if (!blocks_writes(tl.mode) || Catalog::same(tl.table, t) || !existing(ctx, tl.table) ||
        ctx.catalog.index(tl.table))
      return;
    for (auto& h : p.held)
      if (Catalog::same(h.table, tl.table)) {
        h.mode = std::max(h.mode, tl.mode);
        return;
      }
    p.held.push_back(tl);
  };
  if (ctx.tx.in_transaction)
    for (auto& h : ctx.tx.held_locks) hold(h);
  for (const Change& e : ctx.lowered.changes) {  // the statement's locks up to `c` (a DO block is one transaction)
    if (!e.is<TransactionControl>() && !e.is<SetVariable>())
      for (auto& tl : ctx.lock_of(e).tables) hold(tl);
    if (&e == &c) break;
  }
  return p;
}

}  // namespace pgstage::rules
