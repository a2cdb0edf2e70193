#include "analyzer/source.h"

#include "analyzer/ascii.h"
#include "analyzer/no_migrations.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace fs = std::filesystem;

namespace pgstage {

std::string_view layout_name(Layout l) {
  switch (l) {
    case Layout::Auto:
      return "auto";
    case Layout::Plain:
      return "plain";
    case Layout::GolangMigrate:
      return "golang-migrate";
    case Layout::Flyway:
      return "flyway";
    case Layout::Diesel:
      return "diesel";
    case Layout::Prisma:
      return "prisma";
    case Layout::Goose:
      return "goose";
    case Layout::Dbmate:
      return "dbmate";
  }
  return "plain";
}

std::optional<Layout> parse_layout(std::string_view s) {
  for (Layout l : {Layout::Auto, Layout::Plain, Layout::GolangMigrate, Layout::Flyway, Layout::Diesel, Layout::Prisma,
                   Layout::Goose, Layout::Dbmate})
    if (layout_name(l) == s) return l;
  return std::nullopt;
}

Position SourceFile::position(size_t offset) const {
  if (offset > text.size()) offset = text.size();
  auto it = std::upper_bound(line_starts.begin(), line_starts.end(), offset);
  size_t line_idx = (it == line_starts.begin()) ? 0 : size_t(it - line_starts.begin()) - 1;
  size_t start = line_starts.empty() ? 0 : line_starts[line_idx];
  int col = 1;
  for (size_t i = start; i < offset; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) ++col;  // count code points: skip UTF-8 continuation bytes
  }
  return Position{int(line_idx) + 1, col};
}

std::string_view SourceFile::line_text(int line) const {
  if (line < 1 || size_t(line) > line_starts.size()) return {};
  size_t b = line_starts[size_t(line) - 1];
  size_t e = size_t(line) < line_starts.size() ? line_starts[size_t(line)] : text.size();
  while (e > b && (text[e - 1] == '\n' || text[e - 1] == '\r')) --e;
  return std::string_view(text).substr(b, e - b);
}

namespace {

// Finds a line that, trimmed, starts with `marker` (case-insensitive for the marker).
// Returns the byte offset of the line start and of the next line, or npos.
struct MarkerLine {
  size_t begin = std::string::npos;
  size_t next = std::string::npos;
  std::string rest;  // text after the marker on that line
};

// ASCII case-insensitive: does `s` start with `prefix`? (no allocation: runs once per line)
bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (ascii_lower(s[i]) != ascii_lower(prefix[i])) return false;
  return true;
}

// ASCII case-insensitive search.
bool icontains(std::string_view s, std::string_view needle) {
  if (needle.empty()) return true;
  char first_lo = ascii_lower(needle[0]);
  char first_up = first_lo >= 'a' && first_lo <= 'z' ? char(first_lo - 'a' + 'A') : first_lo;
  if (first_lo == first_up) {  // not a letter (the markers start with "--"): jump with memchr
    for (size_t i = 0; i + needle.size() <= s.size(); ++i) {
      auto* hit = static_cast<const char*>(std::memchr(s.data() + i, first_lo, s.size() - needle.size() + 1 - i));
      if (!hit) return false;
      i = size_t(hit - s.data());
      if (istarts_with(s.substr(i), needle)) return true;
    }
    return false;
  }
  for (size_t i = 0; i + needle.size() <= s.size(); ++i)
    if ((s[i] == first_lo || s[i] == first_up) && istarts_with(s.substr(i), needle)) return true;
  return false;
}

std::vector<MarkerLine> find_marker_lines(const std::string& text, std::string_view marker) {
  std::vector<MarkerLine> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    size_t next = eol == std::string::npos ? text.size() : eol + 1;
    size_t b = pos;
    while (b < next && (text[b] == ' ' || text[b] == '\t')) ++b;
    std::string_view line(text.data() + b, next - b);
    if (istarts_with(line, marker)) {
      std::string rest(line.substr(marker.size()));
      while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.pop_back();
      out.push_back(MarkerLine{pos, next, rest});
    }
    pos = next;
  }
  return out;
}

bool has_token(const std::string& s, std::string_view tok) { return icontains(s, tok); }

}  // namespace

SourceFile make_source(std::string path, std::string text, Layout layout) {
  SourceFile f;
  f.path = std::move(path);
  f.text = std::move(text);
  f.line_starts.push_back(0);
  for (size_t i = 0; i < f.text.size(); ++i)
    if (f.text[i] == '\n') f.line_starts.push_back(i + 1);
  f.up_begin = 0;
  f.up_end = f.text.size();

  auto goose_up = find_marker_lines(f.text, "-- +goose Up");
  auto dbmate_up = find_marker_lines(f.text, "-- migrate:up");
  if (layout == Layout::Auto || layout == Layout::Plain) {
    if (!goose_up.empty())
      layout = Layout::Goose;
    else if (!dbmate_up.empty())
      layout = Layout::Dbmate;
    else if (layout == Layout::Auto)
      layout = Layout::Plain;
  }
  f.layout = layout;

  if (layout == Layout::Goose) {
    f.layout_wraps = true;
    if (!goose_up.empty()) {
      f.up_begin = goose_up.front().next;
      auto down = find_marker_lines(f.text, "-- +goose Down");
      for (auto& d : down)
        if (d.begin >= f.up_begin) {
          f.up_end = d.begin;
          break;
        }
    }
    for (auto& m : find_marker_lines(f.text, "-- +goose NO TRANSACTION"))
      if (m.begin < f.up_end) f.no_transaction_marker = true;
    auto begins = find_marker_lines(f.text, "-- +goose StatementBegin");
    auto ends = find_marker_lines(f.text, "-- +goose StatementEnd");
    size_t j = 0;
    for (auto& b : begins) {
      if (b.begin < f.up_begin || b.begin >= f.up_end) continue;
      while (j < ends.size() && ends[j].begin < b.next) ++j;
      if (j < ends.size() && ends[j].begin <= f.up_end) f.forced_statements.emplace_back(b.next, ends[j].begin);
    }
  } else if (layout == Layout::Dbmate) {
    f.layout_wraps = true;
    if (!dbmate_up.empty()) {
      f.up_begin = dbmate_up.front().next;
      if (has_token(dbmate_up.front().rest, "transaction:false")) f.no_transaction_marker = true;
      auto down = find_marker_lines(f.text, "-- migrate:down");
      for (auto& d : down)
        if (d.begin >= f.up_begin) {
          f.up_end = d.begin;
          break;
        }
    }
  } else if (layout == Layout::Flyway || layout == Layout::Diesel) {
    f.layout_wraps = true;
  } else if (layout == Layout::GolangMigrate || layout == Layout::Prisma) {
    f.sent_as_one_query = true;
  }
  for (auto& m : find_marker_lines(f.text, "-- pgstage:no-transaction"))
    if (m.begin < f.up_end) f.no_transaction_marker = true;
  // Other runners' per-file opt-outs, whatever the layout (a plain directory is run by many runners):
  // postgres-migrations reads this comment anywhere in the file; sqlx reads `-- no-transaction` as
  // the file's first line.
  if (!find_marker_lines(f.text, "-- postgres-migrations disable-transaction").empty())
    f.no_transaction_marker = true;
  if (f.text.rfind("-- no-transaction", 0) == 0) {
    size_t e = f.text.find('\n');
    std::string_view first(f.text.data(), e == std::string::npos ? f.text.size() : e);
    while (!first.empty() && (first.back() == '\r' || first.back() == ' ' || first.back() == '\t'))
      first.remove_suffix(1);
    if (first == "-- no-transaction") f.no_transaction_marker = true;
  }
  return f;
}

bool read_source(const std::string& path, Layout layout, SourceFile& out, std::string& err) {
  std::error_code ec;
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below anyway).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == EISDIR)
      err = path + ": is a directory";
    else
      err = path + ": cannot read file (" + (fs::exists(path, ec) ? "permission denied" : "no such file") + ")";
    return false;
  }
  struct stat sb {};
  if (::fstat(fd, &sb) != 0) {
    err = path + ": cannot read file (" + std::strerror(errno) + ")";
    ::close(fd);
    return false;
  }
  // Only regular files: a FIFO or a device would block or never end.
  if (S_ISDIR(sb.st_mode) || !S_ISREG(sb.st_mode)) {
    err = path + (S_ISDIR(sb.st_mode) ? ": is a directory" : ": not a regular file");
    ::close(fd);
    return false;
  }
  if (size_t(sb.st_size) > kMaxSourceBytes) {
    err = path + ": file is " + std::to_string(size_t(sb.st_size) / (1024 * 1024)) +
          " MiB; pgstage lints files up to " + std::to_string(kMaxSourceBytes / (1024 * 1024)) +
          " MiB (split it, or skip it with --exclude)";
    ::close(fd);
    return false;
  }
  // Read straight into the string (sized from fstat): no stream buffers, one copy.
  std::string text(size_t(sb.st_size) + 1, '\0');
  size_t len = 0;
  for (;;) {
    if (len == text.size()) text.resize(text.size() * 2);
    ssize_t n = ::read(fd, text.data() + len, text.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      err = path + ": read error (" + std::strerror(errno) + ")";
      return false;
    }
    if (n == 0) break;
    len += size_t(n);
  }
  ::close(fd);
  text.resize(len);
  out = make_source(path, std::move(text), layout);
  // Flyway runs a script outside a transaction when its V..__x.sql.conf says executeInTransaction=false.
  if (out.layout == Layout::Flyway) {
    fs::path conf = path + ".conf";
    if (fs::is_regular_file(conf, ec)) {
      std::ifstream in(conf);
      for (std::string line; std::getline(in, line);) {
        std::string t;
        for (char c : line)
          if (!std::isspace(static_cast<unsigned char>(c))) t += c;
        if (t == "executeInTransaction=false") out.no_transaction_marker = true;
      }
    }
  }
  // Diesel runs a migration outside a transaction when its metadata.toml says so.
  if (out.layout == Layout::Diesel) {
    fs::path meta = fs::path(path).parent_path() / "metadata.toml";
    if (fs::is_regular_file(meta, ec)) {
      try {
        toml::table t = toml::parse_file(meta.string());
        if (auto v = t["run_in_transaction"].value<bool>(); v && !*v) out.no_transaction_marker = true;
      } catch (const toml::parse_error& e) {
        err = meta.string() + ":" + std::to_string(e.source().begin.line) + ":" +
              std::to_string(e.source().begin.column) + ": invalid TOML: " + std::string(e.description());
        return false;
      }
    }
  }
  return true;
}

namespace {

// Natural order: digit runs compare numerically, so 2_x.sql < 10_x.sql.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && a[i2] == '0') ++i2;
      while (j2 < b.size() && b[j2] == '0') ++j2;
      size_t ie = i2, je = j2;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      if (ie - i2 != je - j2) return (ie - i2) < (je - j2);
      int c = a.compare(i2, ie - i2, b, j2, je - j2);
      if (c != 0) return c < 0;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return (a.size() - i) < (b.size() - j);
}

bool ends_with(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
}

bool excluded(const std::string& rel, const std::vector<std::string>& exclude) {
  for (auto& pat : exclude)
    if (fnmatch(pat.c_str(), rel.c_str(), 0) == 0 || fnmatch(pat.c_str(), fs::path(rel).filename().c_str(), 0) == 0)
      return true;
  return false;
}

// The first 16 KiB of a regular file ("" for anything else: a FIFO would block the open).
std::string file_head(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return {};
  std::ifstream in(p, std::ios::binary);
  std::string buf(16384, '\0');
  in.read(buf.data(), std::streamsize(buf.size()));
  buf.resize(size_t(in.gcount()));
  return buf;
}

}  // namespace

Layout detect_layout(const std::string& dir) {
  std::error_code ec;
  int diesel = 0, prisma = 0, flyway = 0, golang = 0, goose = 0, dbmate = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    std::string name = p.filename().string();
    std::error_code ec2;
    if (it->is_directory(ec2)) {
      if (fs::exists(p / "up.sql", ec2)) ++diesel;
      if (fs::exists(p / "migration.sql", ec2)) ++prisma;
      continue;
    }
    if (ends_with(name, ".up.sql"))
      ++golang;
    else if (name.size() > 1 && (name[0] == 'V' || name[0] == 'v') && name.find("__") != std::string::npos &&
             ends_with(name, ".sql"))
      ++flyway;
    else if (ends_with(name, ".sql")) {
      std::string head = file_head(p);
      if (icontains(head, "-- +goose"))
        ++goose;
      else if (icontains(head, "-- migrate:up"))
        ++dbmate;
    }
  }
  if (diesel) return Layout::Diesel;
  if (prisma) return Layout::Prisma;
  if (golang) return Layout::GolangMigrate;
  if (flyway) return Layout::Flyway;
  if (goose) return Layout::Goose;
  if (dbmate) return Layout::Dbmate;
  return Layout::Plain;
}

std::string no_migrations_message(const std::string& dir, Layout layout, bool excluded_some) {
  auto pattern = [](Layout l) -> std::string {
    switch (l) {
      case Layout::GolangMigrate:
        return "golang-migrate (NAME.up.sql)";
      case Layout::Flyway:
        return "flyway (V<version>__NAME.sql, R__NAME.sql)";
      case Layout::Diesel:
        return "diesel (DIR/up.sql)";
      case Layout::Prisma:
        return "prisma (DIR/migration.sql)";
      case Layout::Goose:
        return "goose (NAME.sql with -- +goose Up)";
      case Layout::Dbmate:
        return "dbmate (NAME.sql with -- migrate:up)";
      default:
        return "plain (NAME.sql, not *.down.sql)";
    }
  };
  std::string msg = dir + ": no migrations found";
  if (layout == Layout::Auto) {
    msg += " (layouts tried: ";
    bool first = true;
    for (Layout l : {Layout::Plain, Layout::GolangMigrate, Layout::Flyway, Layout::Goose, Layout::Dbmate,
                     Layout::Diesel, Layout::Prisma}) {
      msg += (first ? "" : ", ") + pattern(l);
      first = false;
    }
    msg += ")";
  } else {
    msg += " (layout " + pattern(layout) + ", from --layout or pgstage.toml)";
  }
  if (excluded_some) msg += " after the --exclude patterns";
  return msg;
}

std::string flyway_ignored_reason(const std::string& name) {
  if (name.size() < 2 || !ends_with(name, ".sql")) return {};
  char k = name[0];
  if (k != 'V' && k != 'v' && k != 'R' && k != 'r') return {};
  if (name.find("__") != std::string::npos) return {};
  bool versioned = k == 'V' || k == 'v';
  // `V11_name.sql` (one underscore), `V11.sql`, `R_views.sql`: not Flyway's pattern.
  return "Flyway ignores " + name + ": a " + (versioned ? "versioned" : "repeatable") + " migration is named " +
         (versioned ? "V<version>__<description>.sql" : "R__<description>.sql") +
         " (two underscores), so it never runs as a migration; pgstage skipped it and linted nothing in it";
}

bool list_migrations(const std::string& dir, Layout layout, const std::vector<std::string>& exclude,
                     std::vector<MigrationEntry>& out, std::string& err, std::vector<IgnoredMigration>* ignored) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    err = dir + ": not a directory";
    return false;
  }
  if (layout == Layout::Auto) layout = detect_layout(dir);
  struct Item {
    std::string key;
    std::string path;
    int group = 0;  // Flyway: versioned (0) before repeatable (1)
  };
  std::vector<Item> items;
  auto it = fs::directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    err = dir + ": cannot read directory (" + ec.message() + ")";
    return false;
  }
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    std::string name = p.filename().string();
    std::string rel = name;
    std::error_code ec2;
    bool is_dir = it->is_directory(ec2);
    if (excluded(rel, exclude)) continue;
    switch (layout) {
      case Layout::Diesel:
        if (is_dir && fs::exists(p / "up.sql", ec2) && !excluded(rel + "/up.sql", exclude))
          items.push_back({name, (p / "up.sql").string()});
        break;
      case Layout::Prisma:
        if (is_dir && fs::exists(p / "migration.sql", ec2) && !excluded(rel + "/migration.sql", exclude))
          items.push_back({name, (p / "migration.sql").string()});
        break;
      case Layout::GolangMigrate:
        if (!is_dir && ends_with(name, ".up.sql")) items.push_back({name, p.string()});
        break;
      case Layout::Flyway:
        if (is_dir || !ends_with(name, ".sql")) break;
        if (std::string why = flyway_ignored_reason(name); !why.empty()) {
          if (ignored) ignored->push_back({p.string(), why});
          break;
        }
        if (name[0] == 'V' || name[0] == 'v') {
          // Flyway orders by the version before `__`, whose parts `.` or `_` separate (V13__a before
          // V13.1__b, V1_2 = 1.2), compared numerically part by part.
          std::string version = name.substr(1, name.find("__") == std::string::npos ? std::string::npos
                                                                                    : name.find("__") - 1);
          std::replace(version.begin(), version.end(), '_', '.');
          items.push_back({version, p.string(), 0});
        }
        else if (name[0] == 'R' || name[0] == 'r')
          items.push_back({name.substr(1), p.string(), 1});
        // U (undo) and B (baseline) scripts are not part of the forward chain.
        break;
      default:
        if (is_dir || !ends_with(name, ".sql")) break;
        if (ends_with(name, ".down.sql") || ends_with(name, "_down.sql")) break;
        items.push_back({name, p.string()});
    }
  }
  if (ec) {
    err = dir + ": error while reading directory (" + ec.message() + ")";
    return false;
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.group != b.group) return a.group < b.group;
    if (natural_less(a.key, b.key)) return true;
    if (natural_less(b.key, a.key)) return false;
    return a.path < b.path;
  });
  out.clear();
  for (auto& i : items) out.push_back({i.path, layout == Layout::Auto ? Layout::Plain : layout});
  return true;
}

}  // namespace pgstage
