#include "cli/git.h"

#include <filesystem>

#include "analyzer/history.h"
#include "proc/process.h"

namespace fs = std::filesystem;

namespace pgstage::cli {

namespace {

std::string canonical_path(const fs::path& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p.string() : c.string();
}

// Splits NUL-separated output (git -z).
std::vector<std::string> split_nul(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find('\0', b);
    if (e == std::string::npos) e = s.size();
    if (e > b) out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

// Runs git (no shell), bounded by a minute. Fills `err` naming the command and its stderr.
bool git(const std::vector<std::string>& argv, std::string& out, std::string& err) {
  return proc::run_checked({.argv = argv, .timeout = std::chrono::seconds(60)}, out, err);
}

}  // namespace

bool changed_since(const std::string& ref, const std::string& dir, std::set<std::string>& out, std::string& err) {
  std::string top;
  if (!git({"git", "-C", dir, "rev-parse", "--show-toplevel"}, top, err)) return false;
  while (!top.empty() && (top.back() == '\n' || top.back() == '\r')) top.pop_back();
  std::vector<std::vector<std::string>> queries = {
      {"git", "-C", top, "diff", "--name-only", "-z", "--no-renames", ref + "...HEAD", "--"},  // committed since ref
      {"git", "-C", top, "diff", "--name-only", "-z", "--no-renames", "HEAD", "--"},           // staged and unstaged
      {"git", "-C", top, "ls-files", "--others", "--exclude-standard", "-z"},                  // untracked
  };
  for (auto& q : queries) {
    std::string text;
    if (!git(q, text, err)) return false;
    for (auto& name : split_nul(text)) {
      fs::path p = fs::path(top) / name;
      std::error_code ec;
      if (fs::exists(p, ec)) out.insert(canonical_path(p));
    }
  }
  return true;
}

bool since_inputs(const std::string& ref, const std::vector<std::string>& paths, LintOptions& opts,
                  std::vector<LintInput>& out, std::string& err) {
  opts.one_change_set = true;
  opts.no_history = true;
  std::set<std::string> queued;
  for (auto& path : paths) {
    if (path == "-") {
      err = "cannot be combined with stdin input";
      return false;
    }
    std::error_code ec;
    bool is_dir = fs::is_directory(path, ec);
    if (!is_dir && !fs::exists(path, ec)) {
      err = path + ": no such file or directory";
      return false;
    }
    fs::path dir = is_dir ? fs::path(path) : fs::path(migration_directory(path));
    std::string only = is_dir ? std::string() : canonical_path(path);
    std::set<std::string> changed;
    if (!changed_since(ref, dir.string(), changed, err)) return false;
    std::vector<MigrationEntry> entries;
    if (!list_migrations(dir.string(), opts.layout, opts.exclude, entries, err)) return false;
    std::vector<bool> review(entries.size(), false);
    size_t last = entries.size();
    for (size_t i = 0; i < entries.size(); ++i) {
      std::string c = canonical_path(entries[i].path);
      review[i] = changed.count(c) && (only.empty() || c == only);
      if (review[i]) last = i;
    }
    if (last == entries.size()) continue;  // nothing changed here
    for (size_t i = 0; i <= last; ++i) {
      std::string c = canonical_path(entries[i].path);
      if (queued.count(c)) continue;
      queued.insert(c);
      LintInput in;
      in.path = entries[i].path;
      in.history = !review[i];
      in.layout = entries[i].layout;
      out.push_back(std::move(in));
    }
  }
  return true;
}

}  // namespace pgstage::cli
