// SQL text helpers for generated steps: quoting, deterministic object names, idempotent DO blocks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analyzer/change.h"
#include "analyzer/rule_api.h"  // kMaxIdentBytes, pg_default_name

namespace pgstage::planner {

std::string regclass_literal(const QualifiedName& t);  // '"s"."t"'::regclass

// A deterministic name of at most 63 bytes: `base` when it fits, else a prefix of it + "_" +
// 8 hex digits of a hash of the whole `base`.
std::string bounded_name(const std::string& base);

// The schema of `t` as a prefix for objects created beside it ("s". or empty).
QualifiedName sibling(const QualifiedName& t, const std::string& name);

// What follows an index's key list and INCLUDE clause so that a copy is stored as the original:
// " NULLS NOT DISTINCT WITH (\"fillfactor\" = '70') TABLESPACE \"fast\"" ("" for the defaults), in
// CREATE INDEX's order.
std::string index_storage_sql(const IndexStorage& s);
// The same after the key list of the index a PRIMARY KEY / UNIQUE constraint `k` asks for: its
// INCLUDE columns, then index_storage_sql.
std::string key_index_tail(const Constraint& k);

// Wraps PL/pgSQL statements in DO $tag$ BEGIN ... END $tag$ with a tag that does not occur in the body.
std::string do_block(const std::string& body);

// Splits a statement into top-level words (outside quotes, comments and parentheses) with their
// byte offsets; used to find SET/WHERE/FROM clauses and keywords in statement text.
struct Word {
  std::string upper;  // the word in upper case
  size_t begin = 0, end = 0;
  int depth = 0;  // parenthesis depth
};
std::vector<Word> top_words(std::string_view sql);

// An inline FOREIGN KEY or CHECK of `column` (ADD COLUMN ... REFERENCES / CHECK) written as a table
// constraint: `FOREIGN KEY ("c") REFERENCES "t" ("id") ON DELETE ...` or `CHECK (...)`; `name` gets
// the constraint's name, Postgres' default (<table>_<column>_fkey / _check) when it has none.
std::string inline_constraint_sql(const QualifiedName& t, const std::string& column, const Constraint& k,
                                  std::string& name);

}  // namespace pgstage::planner
