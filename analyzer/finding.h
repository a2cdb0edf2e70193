// Findings: what a rule reports, with its position and the lock facts of its statement.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "analyzer/lockfacts.h"
#include "analyzer/source.h"

namespace pgstage {

enum class Severity { Hint = 0, Warning = 1, Error = 2 };
enum class Category { Compat, Locking, Rewrite, Data, Transaction, Style, Meta };

std::string_view severity_name(Severity s);
std::optional<Severity> parse_severity(std::string_view s);
std::string_view category_name(Category c);

struct Finding {
  std::string rule;
  Category category = Category::Meta;
  Severity severity = Severity::Error;
  std::string file;
  size_t begin = 0, end = 0;  // byte span in the file
  Position start, stop;       // 1-based; `stop` is the last character's position + 1 column
  std::string message;
  std::string help;
  LockFacts lock;            // lock facts of the statement (or the subcommand reported)
  bool plannable = false;    // `pgstage plan` has a recipe for it
  std::string fingerprint;   // stable across runs and unrelated edits
  int statement_index = -1;  // index into LintResult::statements, -1 for file-level findings
};

}  // namespace pgstage
