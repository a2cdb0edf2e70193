// Small helpers shared by rule files: iteration over Changes and message phrasing.
#pragma once

#include <string>

#include "analyzer/rule_api.h"

namespace pgstage::rules {

// Calls fn(change, value) for every Change of type T in the statement.
template <class T, class F>
void each(const StatementContext& ctx, F fn) {
  for (const Change& c : ctx.lowered.changes)
    if (const T* v = c.as<T>()) fn(c, *v);
}

// Whether a DO block creates the table itself: the block runs as one transaction, so what it
// creates is as new to the rest of the block as a table created by an earlier statement.
inline bool created_by_do_block(const StatementContext& ctx, const QualifiedName& t) {
  if (!ctx.lowered.do_block) return false;
  for (const Change& c : ctx.lowered.changes) {
    if (auto* ct = c.as<CreateTable>(); ct && Catalog::same(ct->table, t)) return true;
    if (auto* cv = c.as<CreateView>(); cv && Catalog::same(cv->name, t)) return true;
  }
  return false;
}

// True when the table exists before the change set (not created in it, nor by the DO block under
// review). Unknown tables count as existing: without history we must assume the worst.
inline bool existing(const StatementContext& ctx, const QualifiedName& t) {
  return !ctx.is_new(t) && !created_by_do_block(ctx, t);
}

// "`users`" with quoting for messages.
std::string tick(const QualifiedName& n);
std::string tick(const QualifiedName& t, const std::string& column);  // `users.name`

// Where the change is reported: its own location, or the statement's.
inline int where(const Change& c) { return c.location; }

// "while holding an ACCESS EXCLUSIVE lock (blocks reads and writes) on `users`"
std::string holding(const LockFacts& f, const QualifiedName& t);

// The statements after this one in the same transaction: [ctx.index + 1, end), where `end` is the
// COMMIT, ROLLBACK or PREPARE TRANSACTION that ends it, or the end of the file. Empty outside a transaction.
size_t transaction_end(const StatementContext& ctx);

// Enum swaps, the way ORMs change an enum's values (Prisma, Rails, many hand-written migrations):
//   CREATE TYPE s_new AS ENUM (...); ALTER TABLE t ALTER c TYPE s_new USING c::text::s_new;
//   ALTER TYPE s RENAME TO s_old; ALTER TYPE s_new RENAME TO s; DROP TYPE s_old;
// The type `s` goes on existing with other values: one type change, not a rename and a drop.
// The RENAME of a type in the file that gives a type the name `n` (nullptr when none does).
const RenameObject* type_renamed_into(const FileView& file, const QualifiedName& n);
// The RENAME of a type in the file that takes the name `n` away (nullptr when none does).
const RenameObject* type_renamed_away(const FileView& file, const QualifiedName& n);
// The CREATE TYPE ... AS ENUM of the file that creates `n` (the other form of the swap: the old type
// is renamed aside and a new one created under its name).
const CreateEnum* enum_created(const FileView& file, const QualifiedName& n);

// Appended to help texts of rules that have a planner recipe.
inline constexpr const char* kPlanHint = " `pgstage plan` can stage this for you.";

}  // namespace pgstage::rules
