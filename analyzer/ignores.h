// Ignore comments, read in one place: `-- pgstage:ignore rule-a, rule-b -- reason` applies to one
// statement (the one it sits in, the one ending on its line just before it, else the next one);
// `-- pgstage:ignore-file rule` to the whole file; `all` names every rule. A bare ignore names no
// rule and suppresses nothing (it is reported as an error).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analyzer/parse.h"
#include "analyzer/source.h"

namespace pgstage {

struct Ignore {
  size_t comment_begin = 0;
  size_t comment_end = 0;
  bool whole_file = false;
  std::vector<std::string> rules;
  int target_statement = -1;  // statement ignores: the statement they apply to (-1: none, end of file)
  std::vector<int> used;      // per rule: how many findings it suppressed
  bool bare = false;          // names no rule
  std::string bad_directive;  // e.g. `pgstage:ignore-line`: a directive pgstage does not know
};

// The ignore comments of a parsed file, in order.
std::vector<Ignore> find_ignores(const ParsedFile& pf, const SourceFile& f);

// Whether an ignore covers findings of `rule` on statement `stmt` (-1: after the last statement);
// counts the use on every ignore that does.
bool suppress(std::vector<Ignore>& ignores, std::string_view rule, int stmt);

// The statement whose span holds `offset` (its end included), or -1.
int statement_at(const std::vector<Statement>& statements, size_t offset);

}  // namespace pgstage
