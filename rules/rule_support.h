// Shared by the rules of the catalogue's second half: table-set tests and column-type iteration.
// Header-only: rules/*.cpp files are rules (the registry is generated from their names).
#pragma once

#include <string>
#include <vector>

#include "rules/helpers.h"

namespace pgstage::rules {

// True when at least one table exists before the change set (an empty list counts as existing:
// a statement without a table list acts on everything).
inline bool existing_for(const StatementContext& ctx, const Change& c, const QualifiedName& t);
inline bool any_existing(const StatementContext& ctx, const Change& c, const std::vector<QualifiedName>& tables) {
  if (tables.empty()) return true;
  for (auto& t : tables)
    if (existing_for(ctx, c, t)) return true;
  return false;
}

// A DO block runs all its statements in one transaction, even in autocommit. These look at the
// Changes before change `i` of the same statement.

// Whether an earlier Change of the statement created the table.
inline bool created_earlier(const StatementContext& ctx, size_t i, const QualifiedName& t) {
  for (size_t j = 0; j < i && j < ctx.lowered.changes.size(); ++j) {
    const Change& c = ctx.lowered.changes[j];
    if (auto* ct = c.as<CreateTable>(); ct && Catalog::same(ct->table, t)) return true;
    if (auto* cv = c.as<CreateView>(); cv && Catalog::same(cv->name, t)) return true;
  }
  return false;
}

// Whether `t` exists before the change set and was not created earlier in the same statement (DO
// block). `c` must be one of ctx.lowered.changes.
inline bool existing_for(const StatementContext& ctx, const Change& c, const QualifiedName& t) {
  size_t i = size_t(&c - ctx.lowered.changes.data());
  return existing(ctx, t) && !created_earlier(ctx, i, t);
}

// Locks taken by the Changes before change `i` on tables that exist before the change set.
inline std::vector<TableLock> earlier_locks(const StatementContext& ctx, size_t i) {
  LockFacts all;
  for (size_t j = 0; j < i && j < ctx.lowered.changes.size(); ++j) {
    const Change& c = ctx.lowered.changes[j];
    if (c.is<TransactionControl>() || c.is<SetVariable>()) continue;
    all.merge(ctx.lock_of(c));
  }
  std::vector<TableLock> out;
  for (auto& tl : all.tables)
    if (existing(ctx, tl.table) && !created_earlier(ctx, i, tl.table)) out.push_back(tl);
  return out;
}

// "an ACCESS EXCLUSIVE lock (blocks reads and writes)" / "a SHARE lock (blocks writes)".
inline std::string a_lock(LockMode m) {
  std::string p = lock_phrase(m);
  bool vowel = !p.empty() && std::string("AEIOU").find(p[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + p;
}

// "`a`, `b`" for messages.
inline std::string tick_list(const std::vector<QualifiedName>& tables) {
  std::string s;
  for (auto& t : tables) s += (s.empty() ? "" : ", ") + tick(t);
  return s;
}

// Quoted names for generated SQL: "a", "b".
inline std::string quote_list(const std::vector<QualifiedName>& tables) {
  std::string s;
  for (auto& t : tables) s += (s.empty() ? "" : ", ") + quote_name(t);
  return s;
}

inline bool lists(const std::vector<std::string>& v, const std::string& s) {
  for (auto& x : v)
    if (x == s) return true;
  return false;
}

// A column type written by the statement: a new table's column, an added column, or the new
// type of ALTER COLUMN ... TYPE. Refers into the statement's Changes (valid during the callback).
struct WrittenColumn {
  const QualifiedName& table;
  const std::string& column;
  const TypeName* type;
  int location;

  // Declared PRIMARY KEY / REFERENCES inline or by a table constraint of the same statement (for
  // ALTER COLUMN ... TYPE: by a constraint of the table in the catalog). Computed when asked: most
  // rules only look at the type.
  bool primary_key() const { return keys().first; }
  bool foreign_key() const { return keys().second; }

  const StatementContext& ctx;
  const Change& change;
  const ColumnDef* def;  // null for ALTER COLUMN ... TYPE

  std::pair<bool, bool> keys() const {
    bool pk = false, fk = false;
    auto scan = [&](const auto& constraints) {
      for (auto& k : constraints) {
        if (k.kind == ConstraintKind::PrimaryKey && lists(k.columns, column)) pk = true;
        if (k.kind == ConstraintKind::ForeignKey && lists(k.columns, column)) fk = true;
      }
    };
    if (def) {
      pk = def->primary_key;
      for (auto& k : def->constraints) fk = fk || k.kind == ConstraintKind::ForeignKey;
      if (auto* t = change.as<CreateTable>()) scan(t->constraints);
    } else if (const CatalogTable* tab = ctx.catalog.table(table)) {
      scan(tab->constraints);
    }
    return {pk, fk};
  }
};

template <class F>
void each_written_column(const StatementContext& ctx, F fn) {
  for (const Change& c : ctx.lowered.changes) {
    int loc = c.location;
    if (auto* t = c.as<CreateTable>()) {
      for (auto& col : t->columns)
        fn(WrittenColumn{t->table, col.name, &col.type, col.location >= 0 ? col.location : loc, ctx, c, &col});
    } else if (auto* a = c.as<AddColumn>()) {
      int l = a->column.location >= 0 ? a->column.location : loc;
      fn(WrittenColumn{a->table, a->column.name, &a->column.type, l, ctx, c, &a->column});
    } else if (auto* ty = c.as<AlterColumnType>()) {
      fn(WrittenColumn{ty->table, ty->column, &ty->new_type, loc, ctx, c, nullptr});
    }
  }
}

}  // namespace pgstage::rules
