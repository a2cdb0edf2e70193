#include "analyzer/history.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace pgstage {

std::string migration_directory(const std::string& file) {
  fs::path dir = fs::path(file).parent_path();
  if (dir.empty()) dir = ".";
  std::string name = fs::path(file).filename().string();
  if (name == "up.sql" || name == "migration.sql") dir = dir.parent_path().empty() ? "." : dir.parent_path();
  return dir.string();
}

std::string canonical_path(const std::string& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

EarlierMigrations migrations_before(const std::string& file, const std::string& canonical_file, Layout layout,
                                    const std::vector<std::string>& exclude) {
  EarlierMigrations out;
  std::string dir = migration_directory(file);
  std::vector<MigrationEntry> entries;
  std::string err;
  if (!list_migrations(dir, layout, exclude, entries, err)) return out;
  // The canonical path of a plain file right in the directory is the directory's plus its name
  // (weakly_canonical per entry costs several system calls).
  std::string cdir = canonical_path(dir);
  for (auto& e : entries) {
    fs::path ep(e.path);
    std::error_code ec;
    bool plain = ep.parent_path() == fs::path(dir) && !fs::is_symlink(ep, ec) && !ec;
    std::string ce = plain ? (fs::path(cdir) / ep.filename()).string() : canonical_path(e.path);
    if (ce == canonical_file) {
      out.found = true;
      out.layout = e.layout;
      return out;
    }
    out.before.push_back(e);
    out.canonical.push_back(std::move(ce));
  }
  out.before.clear();
  out.canonical.clear();
  return out;
}

std::vector<MigrationEntry> history_before(const std::vector<std::string>& history, const std::string& file,
                                           bool no_history, std::string& err) {
  std::vector<MigrationEntry> out;
  for (auto& h : history) {
    std::error_code ec;
    if (std::filesystem::is_directory(h, ec)) {
      std::vector<MigrationEntry> entries;
      if (!list_migrations(h, Layout::Auto, {}, entries, err)) return {};
      out.insert(out.end(), entries.begin(), entries.end());
    } else {
      out.push_back(MigrationEntry{h, Layout::Auto});
    }
  }
  if (!no_history) {
    EarlierMigrations earlier = migrations_before(file, canonical_path(file), Layout::Auto, {});
    out.insert(out.end(), earlier.before.begin(), earlier.before.end());
  }
  return out;
}

}  // namespace pgstage
