// Source files: reading, the "up" section of goose/dbmate files, positions, migration ordering.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgstage {

struct Position {
  int line = 1;    // 1-based
  int column = 1;  // 1-based, in characters (UTF-8 code points)
};

// Whether the runner wraps the file in a transaction.
enum class TxMode { Auto, PerFile, None };

enum class Layout { Auto, Plain, GolangMigrate, Flyway, Diesel, Prisma, Goose, Dbmate };
std::string_view layout_name(Layout l);
std::optional<Layout> parse_layout(std::string_view s);

struct SourceFile {
  std::string path;  // as given by the user (or --stdin-name)
  std::string text;  // whole file
  // The byte range that runs on "up": the whole file, or the Up section of goose/dbmate files.
  size_t up_begin = 0;
  size_t up_end = 0;
  Layout layout = Layout::Plain;
  // The file itself says it must not run in a transaction (goose NO TRANSACTION,
  // dbmate transaction:false, `-- pgstage:no-transaction`).
  bool no_transaction_marker = false;
  // The layout's runner wraps each file in a transaction by default.
  bool layout_wraps = false;
  // The layout's runner sends the whole file as one query string (golang-migrate, Prisma): Postgres
  // runs a query of several statements as one implicit transaction block (docs/runners.md).
  bool sent_as_one_query = false;
  // Explicit statement boundaries (goose StatementBegin/End): byte ranges that are one statement.
  std::vector<std::pair<size_t, size_t>> forced_statements;

  std::vector<size_t> line_starts;  // byte offset of each line start

  // 1-based line/column of a byte offset (columns count UTF-8 code points; CRLF is one break).
  Position position(size_t offset) const;
  std::string_view line_text(int line) const;  // without the line break
};

// Builds a SourceFile from text: computes line starts and the up section for `layout`
// (Auto detects goose/dbmate markers in the text).
SourceFile make_source(std::string path, std::string text, Layout layout = Layout::Auto);

// Largest file read_source accepts. Linting keeps every statement's facts and findings in memory
// (about 200 bytes per input byte for dense DDL), so a 50 MB file would need gigabytes.
inline constexpr size_t kMaxSourceBytes = 10 * 1024 * 1024;

// Reads a regular file of at most kMaxSourceBytes. Returns false and fills `err` (naming the path)
// when it cannot be read, is not a regular file (FIFO, device, dangling symlink, loop) or is too big.
bool read_source(const std::string& path, Layout layout, SourceFile& out, std::string& err);

struct MigrationEntry {
  std::string path;
  Layout layout = Layout::Plain;
};

// A file that looks like a migration but that the layout's runner skips, and why (for a warning).
struct IgnoredMigration {
  std::string path;
  std::string reason;
};

// Why Flyway ignores a file of this name ("" when it runs it): a versioned or repeatable script needs
// `__` between its version (or `R`) and its description, so `V11_name.sql` never runs.
std::string flyway_ignored_reason(const std::string& filename);

// Lists the migration files of a directory in the order a runner applies them. Down/undo files
// are skipped. Numeric prefixes sort numerically. `exclude` holds glob patterns matched against
// paths relative to `dir`. Returns false and fills `err` on an unreadable directory. Files the
// layout's runner ignores (Flyway: `V11_name.sql`) are left out, and listed in `ignored` when given.
bool list_migrations(const std::string& dir, Layout layout, const std::vector<std::string>& exclude,
                     std::vector<MigrationEntry>& out, std::string& err,
                     std::vector<IgnoredMigration>* ignored = nullptr);

// Detects the layout of a migrations directory from its file names.
Layout detect_layout(const std::string& dir);

}  // namespace pgstage
