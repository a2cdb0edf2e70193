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

// The planner hint on its own line, for help texts that end with SQL.
inline std::string plan_line() { return std::string("\n") + (kPlanHint + 1); }

// Where the statement's transaction comes from, for transaction-rule messages.
inline std::string tx_origin(const StatementContext& ctx) {
  if (ctx.tx.explicit_block) return "inside the BEGIN ... COMMIT block of this file";
  if (ctx.file.layout == Layout::Plain || ctx.file.layout == Layout::Auto)
    return "inside the transaction the migration runner wraps around this file";
  return std::string("inside the transaction the ") + std::string(layout_name(ctx.file.layout)) +
         " runner wraps around this file";
}

}  // namespace pgstage::rules

namespace pgstage::rules {

struct FileStatement {
  size_t begin = 0;
  LoweredStatement lowered;
};

// The table a column-level Change applies to (CREATE TABLE, ADD/DROP/RENAME COLUMN, ALTER COLUMN).
inline const QualifiedName* column_change_table(const Change& c) {
  return std::visit(
      [](const auto& v) -> const QualifiedName* {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, CreateTable> || std::is_same_v<T, AddColumn> ||
                      std::is_same_v<T, DropColumn> || std::is_same_v<T, RenameColumn> ||
                      std::is_same_v<T, AlterColumnType> || std::is_same_v<T, SetNotNull> ||
                      std::is_same_v<T, DropNotNull> || std::is_same_v<T, SetDefault> ||
                      std::is_same_v<T, DropDefault>)
          return &v.table;
        else
          return nullptr;
      },
      c.value);
}

struct FileIndex {
  std::vector<FileStatement> statements;
  std::map<std::string, std::vector<size_t>> by_table;  // Catalog::key -> statements with column changes
};

// Every statement of the file under review, parsed and lowered once per file (rules that look
// around the current statement call this only when they are about to report).
inline const FileIndex& file_index(const StatementContext& ctx) {
  struct Cache {
    const SourceFile* file = nullptr;
    std::string path;
    size_t hash = 0;
    FileIndex index;
  };
  thread_local Cache cache;
  // Identity of the file without hashing all of it on every call: address, size and samples.
  std::string_view text = ctx.file.text;
  auto sample = [&](size_t at) { return text.substr(std::min(at, text.size()), 256); };
  size_t h = std::hash<std::string_view>{}(sample(0)) ^ (std::hash<std::string_view>{}(sample(text.size() / 2)) << 1) ^
             (std::hash<std::string_view>{}(sample(text.size() > 256 ? text.size() - 256 : 0)) << 2) ^
             (text.size() * 0x9e3779b97f4a7c15ull) ^ reinterpret_cast<size_t>(text.data());
  if (cache.file != &ctx.file || cache.path != ctx.file.path || cache.hash != h) {
    cache = Cache{&ctx.file, ctx.file.path, h, {}};
    for (auto& st : parse_source(ctx.file).statements) {
      size_t i = cache.index.statements.size();
      cache.index.statements.push_back({st.begin, lower(st, ctx.file)});
      for (auto& c : cache.index.statements.back().lowered.changes)
        if (const QualifiedName* t = column_change_table(c)) {
          auto& v = cache.index.by_table[Catalog::key(*t)];
          if (v.empty() || v.back() != i) v.push_back(i);
        }
    }
  }
  return cache.index;
}

inline const std::vector<FileStatement>& file_statements(const StatementContext& ctx) {
  return file_index(ctx).statements;
}

// The Changes of the statements after the current one in the file.
inline std::vector<Change> later_changes(const StatementContext& ctx) {
  std::vector<Change> out;
  for (auto& fs : file_statements(ctx))
    if (fs.begin >= ctx.statement.end)
      for (auto& c : fs.lowered.changes) out.push_back(c);
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
  std::string tkey = Catalog::key(t);
  auto same = [&](const QualifiedName& m) { return m.name == t.name && Catalog::key(m) == tkey; };
  const FileIndex& index = file_index(ctx);
  auto touched = index.by_table.find(tkey);
  if (touched == index.by_table.end()) return std::nullopt;
  for (size_t i : touched->second) {
    const FileStatement& fs = index.statements[i];
    if (fs.begin >= ctx.statement.begin) break;
    for (auto& c : fs.lowered.changes) {
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
