// "The migrations before this file", walked in one place: lint (and through it plan and apply),
// lint --since and trace all replay the same history before a file under review.
#pragma once

#include <string>
#include <vector>

#include "analyzer/source.h"

namespace pgstage {

// The directory whose migrations a runner applies around `file`: the file's own, or one level up
// for Diesel and Prisma, which keep each migration in a folder of its own (`up.sql`, `migration.sql`).
std::string migration_directory(const std::string& file);

// weakly_canonical(p), or `p` itself when that fails.
std::string canonical_path(const std::string& p);

struct EarlierMigrations {
  bool found = false;                  // the file is one of its directory's migrations
  Layout layout = Layout::Auto;        // the file's layout as its directory's listing sees it
  std::vector<MigrationEntry> before;  // the migrations applied before it, in order
  std::vector<std::string> canonical;  // their canonical paths, same order
};

// The migrations before `file` (whose canonical path is `canonical_file`) in its migration
// directory. Empty, with found = false, when the directory cannot be listed or lacks the file.
EarlierMigrations migrations_before(const std::string& file, const std::string& canonical_file, Layout layout,
                                    const std::vector<std::string>& exclude);

// The migrations replayed before `file`, in the order lint replays them: `history` (files, or
// directories listed in their runner's order), then, unless `no_history`, the earlier migrations of
// the file's own directory. Empty with `err` set when a directory cannot be listed.
std::vector<MigrationEntry> history_before(const std::vector<std::string>& history, const std::string& file,
                                           bool no_history, std::string& err);

}  // namespace pgstage
