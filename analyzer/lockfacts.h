// Lock facts: which lock each Change takes on which tables, and whether it rewrites or scans.
// The data follows Postgres' AlterTableGetLockLevel (tablecmds.c) and the reference page
// shared/reference/postgres-ddl.md; the integration suite checks it against a real server.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analyzer/catalog.h"
#include "analyzer/change.h"

namespace pgstage {

enum class LockMode {
  None = 0,
  AccessShare,
  RowShare,
  RowExclusive,
  ShareUpdateExclusive,
  Share,
  ShareRowExclusive,
  Exclusive,
  AccessExclusive,
};

std::string_view lock_mode_name(LockMode m);          // "ACCESS EXCLUSIVE"
std::string_view lock_mode_pg_name(LockMode m);       // "AccessExclusiveLock" (pg_locks.mode)
LockMode lock_mode_from_name(std::string_view name);  // accepts either spelling; None when unknown
bool lock_conflicts(LockMode held, LockMode requested);
inline bool blocks_reads(LockMode m) { return lock_conflicts(m, LockMode::AccessShare); }
inline bool blocks_writes(LockMode m) { return lock_conflicts(m, LockMode::RowExclusive); }

struct TableLock {
  QualifiedName table;
  LockMode mode = LockMode::None;
};

struct LockFacts {
  LockMode mode = LockMode::None;  // strongest lock over `tables`
  std::vector<TableLock> tables;   // every relation locked, strongest mode each
  bool rewrite = false;            // the table's data files are rewritten
  bool scan = false;               // the whole table is read while the lock is held
  bool rewrite_uncertain = false;  // depends on facts we do not have (old type unknown, TimeZone)
  bool transactional = true;       // may run inside a transaction block
  std::string note;                // e.g. "rewrite: volatile default random()"

  void add(const QualifiedName& t, LockMode m);
  void merge(const LockFacts& other);  // strongest of both
};

struct LockContext {
  const Catalog* catalog = nullptr;  // schema before the statement (may be null)
  int pg_version = 15;
  std::string timezone;  // the session TimeZone of the migration ("" unknown)
};

// The tables with a column of type `type` (a domain or an enum), from the catalog.
std::vector<QualifiedName> tables_using_type(const Catalog& catalog, const QualifiedName& type);

// The lock facts of one Change.
LockFacts lock_facts(const Change& change, const LockContext& ctx);

// Whether ADD COLUMN of `column` makes Postgres validate the foreign keys added inline in the same
// ALTER TABLE (it has a default of any kind); without one every new value is NULL and the check is
// skipped. An ADD CONSTRAINT ... FOREIGN KEY in the same statement also turns validation on.
bool adding_column_validates_foreign_key(const ColumnDef& column);

// The lock facts of a statement: merged over its Changes.
LockFacts lock_facts(const std::vector<Change>& changes, const LockContext& ctx);

}  // namespace pgstage
