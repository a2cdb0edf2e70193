// `lint --since REF`: which migration files changed since a git ref, by running git.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "analyzer/lint.h"

namespace pgstage::cli {

// Absolute, canonical paths of the files added or changed since `ref` in the repository that
// holds `dir`: `git diff --name-only REF...HEAD`, plus uncommitted (staged, unstaged) changes
// and untracked files. Deleted files are left out.
bool changed_since(const std::string& ref, const std::string& dir, std::set<std::string>& out, std::string& err);

// The lint inputs for --since: in each path's migration order, every changed migration is under
// review and the migrations before the last changed one are history. Sets opts.one_change_set
// and opts.no_history.
bool since_inputs(const std::string& ref, const std::vector<std::string>& paths, LintOptions& opts,
                  std::vector<LintInput>& out, std::string& err);

}  // namespace pgstage::cli
