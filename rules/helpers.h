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

// True when the table exists before the change set (not created in it). Unknown tables count as
// existing: without history we must assume the worst.
inline bool existing(const StatementContext& ctx, const QualifiedName& t) { return !ctx.is_new(t); }

// "`users`" with quoting for messages.
std::string tick(const QualifiedName& n);
std::string tick(const QualifiedName& t, const std::string& column);  // `users.name`

// Where the change is reported: its own location, or the statement's.
inline int where(const Change& c) { return c.location; }

// "while holding an ACCESS EXCLUSIVE lock (blocks reads and writes) on `users`"
std::string holding(const LockFacts& f, const QualifiedName& t);

// Appended to help texts of rules that have a planner recipe.
inline constexpr const char* kPlanHint = " `pgstage plan` can stage this for you.";

}  // namespace pgstage::rules
