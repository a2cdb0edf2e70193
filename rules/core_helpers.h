// Helpers for the compat, locking, rewrite and transaction rules: catalog look-ups and SQL
// snippets for help texts. Header-only so the rule registry (one .cpp per rule) stays exact.
#pragma once

#include <string>
#include <vector>

#include "rules/helpers.h"

namespace pgstage::rules {

// The column as the catalog knows it before the statement, or null.
inline const CatalogColumn* known_column(const StatementContext& ctx, const QualifiedName& t, const std::string& c) {
  const CatalogTable* tab = ctx.catalog.table(t);
  return tab ? tab->column(c) : nullptr;
}

// True when the column was added earlier in the change set under review: no running code uses it.
inline bool column_is_new(const StatementContext& ctx, const QualifiedName& t, const std::string& c) {
  const CatalogColumn* col = known_column(ctx, t, c);
  return col && col->created_in_review;
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

// The Changes of the statements after the current one in the file (re-parsed on demand: only
// rules that need to look ahead call this, and only when they are about to report).
inline std::vector<Change> later_changes(const StatementContext& ctx) {
  std::vector<Change> out;
  size_t from = ctx.statement.end, to = ctx.file.up_end;
  if (from >= to) return out;
  SourceFile rest = make_source(ctx.file.path, ctx.file.text.substr(from, to - from), Layout::Plain);
  for (auto& st : parse_source(rest).statements)
    for (auto& c : lower(st, rest).changes) out.push_back(std::move(c));
  return out;
}

// The lowered statements of the whole file under review (re-parsed on demand).
inline std::vector<LoweredStatement> file_statements(const StatementContext& ctx) {
  std::vector<LoweredStatement> out;
  for (auto& st : parse_source(ctx.file).statements) out.push_back(lower(st, ctx.file));
  return out;
}

// `DROP ... IF EXISTS` of something the replayed history does not know: most likely a no-op.
inline bool absent_if_exists(const StatementContext& ctx, bool if_exists, bool known) {
  return if_exists && ctx.schema_known && !known;
}

}  // namespace pgstage::rules
