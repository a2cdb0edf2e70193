// The contract between the lint driver and the rules in rules/. A rule only reports: it never
// prints, exits or opens files.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/catalog.h"
#include "analyzer/finding.h"
#include "analyzer/lockfacts.h"
#include "analyzer/lower.h"
#include "analyzer/parse.h"
#include "analyzer/source.h"

namespace pgstage {

// Who runs the migrations: pgstage apply (sets lock_timeout itself) or another runner.
enum class Runner { External, Pgstage };

// What the driver knows about the transaction a statement runs in.
struct TxState {
  bool in_transaction = false;  // the statement runs inside a transaction block
  bool explicit_block = false;  // inside BEGIN ... COMMIT written in the file
  bool runner_wraps = false;    // the runner wraps the file in a transaction
  // The runner sends the file as one multi-statement query (golang-migrate, Prisma), which Postgres
  // runs as an implicit transaction block: BEGIN turns it into an explicit one, and after a COMMIT
  // the rest of the file is a new implicit block.
  bool implicit_block = false;
  int explicit_depth = 0;       // BEGINs seen without COMMIT (nesting > 1 is a mistake)
  bool lock_timeout_set = false;
  int statements_in_tx = 0;                            // statements earlier in the current transaction
  LockMode strongest_held = LockMode::None;            // strongest lock taken earlier in this transaction
  std::vector<QualifiedName> ddl_tables;               // tables changed by DDL earlier in it
  std::vector<QualifiedName> access_exclusive_tables;  // tables ACCESS EXCLUSIVE-locked earlier in it
  std::vector<std::pair<QualifiedName, std::string>> not_valid_constraints;  // added NOT VALID earlier in it
  std::vector<QualifiedName> enum_values_added;                              // ALTER TYPE ... ADD VALUE earlier in it
  std::vector<std::pair<QualifiedName, std::string>> enum_labels_added;      // (type, label) of those ADD VALUEs
  std::vector<TableLock> held_locks;  // strongest lock per relation taken earlier in this transaction
  // Tables written by UPDATE, DELETE, MERGE or INSERT ... SELECT earlier in this transaction after DDL on them.
  std::vector<QualifiedName> backfilled_tables;
  // Tables written by UPDATE, DELETE, MERGE or INSERT ... SELECT earlier in this transaction (before or
  // after DDL on them): DDL later in the transaction waits for and then holds its lock with their row locks.
  std::vector<QualifiedName> written_tables;
  // Statements (not transaction control or SET) run in this transaction after it took an ACCESS
  // EXCLUSIVE lock on a table that exists before the change set.
  int work_after_access_exclusive = 0;
  int open_begin_offset = -1;  // byte offset of the outermost BEGIN not yet committed, -1 when none
  // Statements earlier in the file that took a read- or write-blocking lock on an existing table
  // while no lock_timeout was set (per file, not reset by COMMIT).
  int unprotected_lock_statements = 0;

  static bool contains(const std::vector<QualifiedName>& v, const QualifiedName& t);
  // A statement that writes (and row-locks) existing rows in bulk: UPDATE, DELETE, MERGE, INSERT ... SELECT.
  static bool writes_rows(const Dml& d) {
    return d.kind == DmlKind::Update || d.kind == DmlKind::Delete || d.kind == DmlKind::Merge ||
           (d.kind == DmlKind::Insert && d.from_select);
  }
};

struct LintSettings {
  int pg_version = 15;
  Runner runner = Runner::External;
  TxMode transaction = TxMode::Auto;
  std::string timezone;  // the session TimeZone migrations run with ("" unknown): decides timestamp -> timestamptz
  LockContext lock_context(const Catalog* catalog) const { return LockContext{catalog, pg_version, timezone}; }
};

// The file under review as rules see it: every statement and its Changes, in file order, parsed
// and lowered once by the driver (rules that look around the current statement read this).
class FileView {
 public:
  FileView(const std::vector<Statement>& statements, const std::vector<LoweredStatement>& lowered)
      : statements_(statements), lowered_(lowered) {}
  const std::vector<Statement>& statements() const { return statements_; }
  const std::vector<LoweredStatement>& lowered() const { return lowered_; }
  size_t size() const { return statements_.size(); }
  // Indexes (in order) of the statements with a column-level Change (CREATE TABLE, ADD/DROP/RENAME
  // COLUMN, ALTER COLUMN) on the table whose Catalog::key is `table_key`. Built on first use.
  const std::vector<size_t>& column_changes_on(const std::string& table_key) const;

 private:
  const std::vector<Statement>& statements_;
  const std::vector<LoweredStatement>& lowered_;
  mutable std::optional<std::map<std::string, std::vector<size_t>>> by_table_;
};

// The table a column-level Change applies to (CREATE TABLE, ADD/DROP/RENAME COLUMN, ALTER COLUMN), or null.
const QualifiedName* column_change_table(const Change& c);

struct StatementContext {
  const SourceFile& file;
  const Statement& statement;
  int index;                        // statement number in the file (0-based)
  const LoweredStatement& lowered;  // typed Changes
  const LockFacts& lock;            // lock facts of the whole statement
  const Catalog& catalog;           // schema before this statement
  const TxState& tx;                // transaction state before this statement
  const LintSettings& settings;
  bool schema_known;          // history or a database informs the catalog
  const FileView& file_view;  // the whole file under review

  // Whether the table is created in the change set under review (exempt from most rules).
  bool is_new(const QualifiedName& t) const { return catalog.is_new(t); }
  // Lock facts of one Change (for messages about a single subcommand).
  LockFacts lock_of(const Change& c) const;
};

struct FileEndContext {
  const SourceFile& file;
  const TxState& tx;  // state after the last statement
  const LintSettings& settings;
  int statement_count;
  const Catalog* catalog = nullptr;                        // schema after the last statement
  const std::vector<Statement>* statements = nullptr;      // the file's statements
  const std::vector<LoweredStatement>* lowered = nullptr;  // their Changes, same order
};

// Collects one rule's findings. `location` is a byte offset in the file (-1: the statement).
class Reporter {
 public:
  struct Report {
    std::string message;
    std::string help;
    int location = -1;
    std::optional<Severity> severity;  // overrides the rule's default (e.g. hint for a safe case)
    std::optional<LockFacts> lock;     // lock facts of the subcommand (default: the statement's)
  };
  void report(Report r) { reports_.push_back(std::move(r)); }
  void report(std::string message, std::string help, int location = -1) {
    reports_.push_back(Report{std::move(message), std::move(help), location, std::nullopt, std::nullopt});
  }
  std::vector<Report>& reports() { return reports_; }

 private:
  std::vector<Report> reports_;
};

struct Rule {
  std::string_view id;
  Category category;
  Severity severity;
  bool enabled_by_default = true;
  std::string_view summary;  // one line
  std::string_view why;      // why it is dangerous
  std::string_view lock;     // the lock it takes and what that blocks
  std::string_view instead;  // what to do instead (with SQL)
  std::string_view bad;      // example SQL that must fire
  std::string_view good;     // example SQL that must not fire
  void (*check)(const StatementContext&, Reporter&) = nullptr;
  void (*check_file_end)(const FileEndContext&, Reporter&) = nullptr;
};

// Helpers shared by rules.
std::string display_ident(std::string_view name);  // users -> users; User -> "User" (quoted only when needed)
std::string display_name(const QualifiedName& n);  // schema.table, quoted as needed, for messages
std::string quote_ident(std::string_view name);    // always quoted, for generated SQL: "users"
std::string quote_literal(std::string_view s);      // a string literal for generated SQL: 'it''s'
// The column references in an expression's source text, with their byte ranges, named as Postgres
// folds them (unquoted lower-cased, quoted as written). String literals, function names, types after
// `::` and qualified fields (`x.col`) are not references. A scanner, not a parser: for rewriting a
// CHECK's text onto a renamed column, and finding the column Postgres names an unnamed CHECK after.
struct ColumnRef {
  std::string name;
  size_t begin = 0, end = 0;
};
std::vector<ColumnRef> column_refs_in(std::string_view sql);
// `sql` with every reference to column `from` replaced by `to` (quoted); `found` (optional) says
// whether there was one.
std::string rename_column_refs(std::string_view sql, const std::string& from, const std::string& to,
                               bool* found = nullptr);
std::string quote_name(const QualifiedName& n);    // "schema"."table"

inline constexpr size_t kMaxIdentBytes = 63;  // NAMEDATALEN - 1
// `s` cut to at most `n` bytes without splitting a UTF-8 sequence.
std::string cut_identifier(const std::string& s, size_t n);
// Postgres' own default names (makeObjectName in src/backend/commands/indexcmds.c): name1_name2_label
// truncated to 63 bytes by shortening the longer of name1/name2 first; with columns, their names
// joined by "_" (ChooseIndexColumnNames), as for a UNIQUE's _key or a foreign key's _fkey. The
// catalog names unnamed constraints with it; the planner names what it stages as Postgres would.
std::string pg_default_name(const std::string& name1, const std::string& name2, const std::string& label);
std::string pg_default_name(const std::string& table, const std::vector<std::string>& columns,
                            const std::string& label);
std::string lock_phrase(LockMode m);               // "ACCESS EXCLUSIVE lock (blocks reads and writes)"

}  // namespace pgstage
