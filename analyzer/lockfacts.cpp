#include "analyzer/lockfacts.h"

#include <algorithm>
#include <array>

#include "analyzer/types.h"

namespace pgstage {

namespace {
constexpr std::array<std::string_view, 9> kNames = {
    "NONE",  "ACCESS SHARE",        "ROW SHARE", "ROW EXCLUSIVE",   "SHARE UPDATE EXCLUSIVE",
    "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"};
constexpr std::array<std::string_view, 9> kPgNames = {
    "",          "AccessShareLock",       "RowShareLock",  "RowExclusiveLock",   "ShareUpdateExclusiveLock",
    "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"};
// Conflict matrix from mvcc.sgml: bit j of kConflicts[i] set when mode i conflicts with mode j.
constexpr std::array<unsigned, 9> kConflicts = {
    0b000000000,  // None
    0b100000000,  // AccessShare: AccessExclusive
    0b110000000,  // RowShare: Exclusive, AccessExclusive
    0b111100000,  // RowExclusive: Share, ShareRowExclusive, Exclusive, AccessExclusive
    0b111110000,  // ShareUpdateExclusive
    0b111011000,  // Share: RowExclusive, SUE, SRE, Exclusive, AE
    0b111111000,  // ShareRowExclusive
    0b111111100,  // Exclusive
    0b111111110,  // AccessExclusive
};
}  // namespace

std::string_view lock_mode_name(LockMode m) { return kNames[size_t(m)]; }
std::string_view lock_mode_pg_name(LockMode m) { return kPgNames[size_t(m)]; }

LockMode lock_mode_from_name(std::string_view name) {
  std::string up;
  for (char c : name) up += char(std::toupper(static_cast<unsigned char>(c)));
  for (size_t i = 1; i < kNames.size(); ++i) {
    std::string pg;
    for (char c : kPgNames[i]) pg += char(std::toupper(static_cast<unsigned char>(c)));
    if (up == kNames[i] || up == pg) return LockMode(i);
  }
  return LockMode::None;
}

bool lock_conflicts(LockMode held, LockMode requested) { return (kConflicts[size_t(requested)] >> size_t(held)) & 1u; }

void LockFacts::add(const QualifiedName& t, LockMode m) {
  if (m == LockMode::None || t.empty()) return;
  for (auto& tl : tables)
    if (tl.table.name == t.name && (tl.table.schema == t.schema || tl.table.schema.empty() || t.schema.empty())) {
      tl.mode = std::max(tl.mode, m);
      mode = std::max(mode, m);
      return;
    }
  tables.push_back({t, m});
  mode = std::max(mode, m);
}

void LockFacts::merge(const LockFacts& o) {
  for (auto& tl : o.tables) add(tl.table, tl.mode);
  mode = std::max(mode, o.mode);
  rewrite = rewrite || o.rewrite;
  scan = scan || o.scan;
  rewrite_uncertain = rewrite_uncertain || o.rewrite_uncertain;
  transactional = transactional && o.transactional;
  if (!o.note.empty()) note = note.empty() ? o.note : note + "; " + o.note;
}

namespace {

const CatalogTable* find_table(const LockContext& ctx, const QualifiedName& n) {
  return ctx.catalog ? ctx.catalog->table(n) : nullptr;
}

bool check_proves_not_null(const CatalogTable* t, const std::string& column) {
  if (!t) return false;
  return std::any_of(t->constraints.begin(), t->constraints.end(), [&](const CatalogConstraint& c) {
    return c.kind == ConstraintKind::Check && c.validated && c.not_null_column == column;
  });
}

bool default_rewrites(const ColumnDef& col, int pg_version, std::string& why) {
  if (col.type.is_serial) {
    why = "serial column: nextval() default is volatile";
    return true;
  }
  if (col.identity) {
    why = "identity column";
    return true;
  }
  if (col.generated_stored) {
    why = "stored generated column";
    return true;
  }
  if (!col.default_expr || col.default_expr->is_null_constant) return false;
  if (pg_version < 11) {
    why = "before PostgreSQL 11 any non-null default rewrites the table";
    return true;
  }
  if (col.default_expr->volatility == Volatility::Volatile) {
    why = "volatile default " + col.default_expr->sql;
    return true;
  }
  return false;
}

LockMode reloption_lock(const std::vector<std::string>& options) {
  // AlterTableGetRelOptionsLockLevel: these are SHARE UPDATE EXCLUSIVE, everything else ACCESS EXCLUSIVE.
  LockMode m = LockMode::None;
  for (auto& o : options) {
    bool sue = o == "fillfactor" || o.rfind("autovacuum", 0) == 0 || o.rfind("toast.", 0) == 0 ||
               o == "parallel_workers" || o == "user_catalog_table" || o == "vacuum_index_cleanup" ||
               o == "vacuum_truncate" || o == "log_autovacuum_min_duration" || o == "toast_tuple_target";
    m = std::max(m, sue ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive);
  }
  return m == LockMode::None ? LockMode::AccessExclusive : m;
}

LockMode alter_table_other_lock(const AlterTableOther& c, bool& rewrite) {
  const std::string& s = c.subcommand;
  if (s == "AT_SetStatistics" || s == "AT_SetOptions" || s == "AT_ResetOptions" || s == "AT_ClusterOn" ||
      s == "AT_DropCluster")
    return LockMode::ShareUpdateExclusive;
  if (s == "AT_SetRelOptions" || s == "AT_ResetRelOptions" || s == "AT_ReplaceRelOptions")
    return reloption_lock(c.options);
  if (s == "AT_SetLogged" || s == "AT_SetUnLogged" || s == "AT_SetTableSpace") {
    rewrite = true;
    return LockMode::AccessExclusive;
  }
  if (s == "AT_SetAccessMethod") {
    // PG15 skips the rewrite when the access method does not change; heap is the default and
    // the only built-in table access method, so SET ACCESS METHOD heap is taken as a no-op.
    rewrite = c.options.empty() || c.options.front() != "heap";
    return LockMode::AccessExclusive;
  }
  if (s == "AT_EnableTrig" || s == "AT_EnableAlwaysTrig" || s == "AT_EnableReplicaTrig" || s == "AT_DisableTrig" ||
      s == "AT_EnableTrigAll" || s == "AT_DisableTrigAll" || s == "AT_EnableTrigUser" || s == "AT_DisableTrigUser")
    return LockMode::ShareRowExclusive;
  return LockMode::AccessExclusive;
}

}  // namespace

bool adding_column_validates_foreign_key(const ColumnDef& column) {
  return column.default_expr.has_value() || column.generated_stored || column.type.is_serial;
}

std::vector<QualifiedName> tables_using_type(const Catalog& catalog, const QualifiedName& type) {
  std::vector<QualifiedName> out;
  for (const CatalogTable* t : catalog.tables()) {
    if (t->kind == "view" || t->kind == "matview") continue;
    for (const CatalogColumn& col : t->columns)
      if (col.type.name == type.name && (type.schema.empty() || col.type.schema.empty() || col.type.schema == type.schema)) {
        out.push_back(t->name);
        break;
      }
  }
  return out;
}

LockFacts lock_facts(const Change& change, const LockContext& ctx) {
  LockFacts f;
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateTable>) {
          for (auto& col : c.columns)
            for (auto& k : col.constraints)
              if (k.kind == ConstraintKind::ForeignKey) f.add(k.ref_table, LockMode::ShareRowExclusive);
          for (auto& k : c.constraints)
            if (k.kind == ConstraintKind::ForeignKey) f.add(k.ref_table, LockMode::ShareRowExclusive);
          if (!c.partition_of.empty()) f.add(c.partition_of, LockMode::AccessExclusive);
        } else if constexpr (std::is_same_v<T, AddColumn>) {
          f.add(c.table, LockMode::AccessExclusive);
          std::string why;
          if (default_rewrites(c.column, ctx.pg_version, why)) {
            f.rewrite = true;
            f.note = "rewrite: " + why;
          } else if (const CatalogObject* d =
                         ctx.catalog ? ctx.catalog->object("domain", {c.column.type.schema, c.column.type.name})
                                     : nullptr;
                     d && d->constrained) {
            f.rewrite = true;  // ATExecAddColumn: a domain with constraints is checked against every row
            f.note = "rewrite: domain " + c.column.type.name + " has constraints";
          }
          // transformAlterTableStmt skips validating an inline REFERENCES unless a column of the
          // statement has a default (any DEFAULT, NULL included, a serial's nextval, a generated
          // expression); the statement-wide part is the rule's (adding-foreign-key).
          bool validates_fk = adding_column_validates_foreign_key(c.column) || f.rewrite;
          for (auto& k : c.column.constraints) {
            if (k.kind == ConstraintKind::ForeignKey) {
              f.add(k.ref_table, LockMode::ShareRowExclusive);
              if (validates_fk) f.scan = true;
            } else if (k.kind == ConstraintKind::Check) {
              f.scan = true;  // phase 3 checks every row, even when the new column is NULL in all of them
            } else if (k.kind == ConstraintKind::Unique || k.kind == ConstraintKind::PrimaryKey) {
              f.scan = true;  // index build
            }
          }
          if (c.column.primary_key || c.column.unique) f.scan = true;
        } else if constexpr (std::is_same_v<T, DropColumn> || std::is_same_v<T, RenameColumn> ||
                             std::is_same_v<T, DropNotNull> || std::is_same_v<T, SetDefault> ||
                             std::is_same_v<T, DropDefault> || std::is_same_v<T, Cluster>) {
          f.add(c.table, LockMode::AccessExclusive);
          if constexpr (std::is_same_v<T, Cluster>) f.rewrite = true;
        } else if constexpr (std::is_same_v<T, RenameTable>) {
          f.add(c.table, LockMode::AccessExclusive);
        } else if constexpr (std::is_same_v<T, AlterColumnType>) {
          f.add(c.table, LockMode::AccessExclusive);
          const CatalogTable* t = find_table(ctx, c.table);
          const CatalogColumn* col = t ? t->column(c.column) : nullptr;
          auto tf = type_change_facts(col ? &col->type : nullptr, c.new_type, c.column, c.using_expr, ctx.pg_version,
                                      ctx.timezone);
          if (tf.verdict == TypeChangeVerdict::Rewrite) f.rewrite = true;
          if (tf.verdict == TypeChangeVerdict::Unknown) {
            f.rewrite = true;
            f.rewrite_uncertain = true;
          }
          f.note = tf.reason;
        } else if constexpr (std::is_same_v<T, SetNotNull>) {
          f.add(c.table, LockMode::AccessExclusive);
          const CatalogTable* t = find_table(ctx, c.table);
          if (ctx.pg_version >= 12 && check_proves_not_null(t, c.column)) {
            f.note = "a validated CHECK (" + c.column + " IS NOT NULL) lets Postgres skip the scan";
          } else {
            f.scan = true;
          }
        } else if constexpr (std::is_same_v<T, AddConstraint>) {
          const Constraint& k = c.constraint;
          if (k.kind == ConstraintKind::ForeignKey) {
            f.add(c.table, LockMode::ShareRowExclusive);
            f.add(k.ref_table, LockMode::ShareRowExclusive);
            f.scan = !k.not_valid;
          } else {
            f.add(c.table, LockMode::AccessExclusive);
            if (k.kind == ConstraintKind::Check)
              f.scan = !k.not_valid;
            else if (k.kind == ConstraintKind::NotNull)
              f.scan = true;
            else if (!k.using_index.empty()) {
              if (k.kind == ConstraintKind::PrimaryKey) {
                const CatalogTable* t = find_table(ctx, c.table);
                const CatalogIndex* idx =
                    ctx.catalog ? ctx.catalog->index(QualifiedName{c.table.schema, k.using_index}) : nullptr;
                if (t && idx) {
                  for (auto& colname : idx->columns) {
                    auto* col = t->column(colname);
                    if (!col || !col->not_null) f.scan = true;
                  }
                } else {
                  f.scan = true;
                  f.note = "the index's columns are not known; if any is nullable, Postgres scans to set NOT NULL";
                }
              }
            } else {
              f.scan = true;  // builds an index (PRIMARY KEY also checks NOT NULL)
            }
          }
        } else if constexpr (std::is_same_v<T, ValidateConstraint>) {
          f.add(c.table, LockMode::ShareUpdateExclusive);
          f.scan = true;
          if (const CatalogTable* t = find_table(ctx, c.table))
            if (auto* k = t->constraint(c.name); k && k->kind == ConstraintKind::ForeignKey)
              f.add(k->ref_table, LockMode::RowShare);
        } else if constexpr (std::is_same_v<T, DropConstraint>) {
          f.add(c.table, LockMode::AccessExclusive);
          if (const CatalogTable* t = find_table(ctx, c.table))
            if (auto* k = t->constraint(c.name); k && k->kind == ConstraintKind::ForeignKey)
              f.add(k->ref_table, LockMode::AccessExclusive);
        } else if constexpr (std::is_same_v<T, CreateIndex>) {
          f.add(c.table, c.concurrently ? LockMode::ShareUpdateExclusive : LockMode::Share);
          f.scan = true;
          f.transactional = !c.concurrently;
        } else if constexpr (std::is_same_v<T, DropIndex>) {
          LockMode m = c.concurrently ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive;
          for (auto& n : c.names) {
            const CatalogIndex* idx = ctx.catalog ? ctx.catalog->index(n) : nullptr;
            if (idx) f.add(idx->table, m);
            f.add(n, LockMode::AccessExclusive == m ? m : LockMode::AccessExclusive);
          }
          f.transactional = !c.concurrently;
        } else if constexpr (std::is_same_v<T, Reindex>) {
          f.transactional = !c.concurrently && c.kind != "schema" && c.kind != "database" && c.kind != "system";
          if (c.kind == "index") {
            const CatalogIndex* idx = ctx.catalog ? ctx.catalog->index(c.name) : nullptr;
            if (c.concurrently) {
              if (idx) f.add(idx->table, LockMode::ShareUpdateExclusive);
              f.add(c.name, LockMode::ShareUpdateExclusive);
            } else {
              if (idx) f.add(idx->table, LockMode::Share);
              f.add(c.name, LockMode::AccessExclusive);
            }
          } else if (c.kind == "table") {
            f.add(c.name, c.concurrently ? LockMode::ShareUpdateExclusive : LockMode::Share);
          }
          f.scan = true;
        } else if constexpr (std::is_same_v<T, DropTable>) {
          for (auto& n : c.tables) {
            f.add(n, LockMode::AccessExclusive);
            if (const CatalogTable* t = find_table(ctx, n))
              for (auto& k : t->constraints)
                if (k.kind == ConstraintKind::ForeignKey) f.add(k.ref_table, LockMode::AccessExclusive);
            // CASCADE drops the foreign keys of tables referencing it, which locks those tables.
            if (c.cascade && ctx.catalog)
              for (const CatalogTable* other : ctx.catalog->tables_referencing(n))
                f.add(other->name, LockMode::AccessExclusive);
          }
        } else if constexpr (std::is_same_v<T, Truncate>) {
          for (auto& n : c.tables) f.add(n, LockMode::AccessExclusive);
          // ExecuteTruncate gives each table a new, empty relfilenode (no copy, but new data files).
          f.rewrite = true;
          f.note = "TRUNCATE replaces the table's data files with new, empty ones";
        } else if constexpr (std::is_same_v<T, DropDatabase>) {
          f.transactional = false;
        } else if constexpr (std::is_same_v<T, Vacuum>) {
          f.transactional = c.analyze_only;
          for (auto& n : c.tables) f.add(n, c.full ? LockMode::AccessExclusive : LockMode::ShareUpdateExclusive);
          if (c.full) f.rewrite = true;
        } else if constexpr (std::is_same_v<T, RefreshMatView>) {
          f.add(c.name, c.concurrently ? LockMode::Exclusive : LockMode::AccessExclusive);
          // CONCURRENTLY applies a diff to the existing heap; the plain form swaps in a new one.
          f.rewrite = !c.concurrently;
        } else if constexpr (std::is_same_v<T, LockTable>) {
          LockMode m = c.mode.empty() ? LockMode::AccessExclusive : lock_mode_from_name(c.mode);
          for (auto& n : c.tables) f.add(n, m);
        } else if constexpr (std::is_same_v<T, TriggerChange>) {
          f.add(c.table, c.action == TriggerAction::Drop ? LockMode::AccessExclusive : LockMode::ShareRowExclusive);
        } else if constexpr (std::is_same_v<T, AttachPartition>) {
          f.add(c.parent, ctx.pg_version >= 12 ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive);
          f.add(c.partition, LockMode::AccessExclusive);
          f.scan = true;
        } else if constexpr (std::is_same_v<T, DetachPartition>) {
          LockMode m = c.concurrently ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive;
          f.add(c.parent, m);
          // CONCURRENTLY: SHARE UPDATE EXCLUSIVE on both in the first transaction, then ACCESS
          // EXCLUSIVE on the partition in the second (alter_table.sgml; observed in pg_locks).
          f.add(c.partition, LockMode::AccessExclusive);
          f.transactional = !c.concurrently;
        } else if constexpr (std::is_same_v<T, AlterTableOther>) {
          bool rw = false;
          f.add(c.table, alter_table_other_lock(c, rw));
          f.rewrite = rw;
          // ATExecAddInherit opens the new parent with SHARE UPDATE EXCLUSIVE, ATExecDropInherit
          // the old one with ACCESS SHARE (checked against pg_locks by the integration suite).
          if ((c.subcommand == "AT_AddInherit" || c.subcommand == "AT_DropInherit") && !c.options.empty()) {
            const std::string& p = c.options.front();
            auto dot = p.find('.');
            QualifiedName parent =
                dot == std::string::npos ? QualifiedName{"", p} : QualifiedName{p.substr(0, dot), p.substr(dot + 1)};
            f.add(parent, c.subcommand == "AT_AddInherit" ? LockMode::ShareUpdateExclusive : LockMode::AccessShare);
          }
        } else if constexpr (std::is_same_v<T, AlterDomain>) {
          // validateDomainConstraint: SHARE on every table with a column of the domain, each scanned.
          using A = AlterDomain::Action;
          bool validates = (c.action == A::AddConstraint && !c.not_valid) || c.action == A::SetNotNull ||
                           c.action == A::ValidateConstraint;
          if (validates && ctx.catalog) {
            for (auto& t : tables_using_type(*ctx.catalog, c.domain)) f.add(t, LockMode::Share);
            f.scan = !f.tables.empty();
            if (f.scan) f.note = "scan: every column of domain " + c.domain.str() + " is checked";
          }
        } else if constexpr (std::is_same_v<T, AlterEnumAddValue>) {
          f.transactional = ctx.pg_version >= 12;
        } else if constexpr (std::is_same_v<T, Dml>) {
          if (c.kind != DmlKind::Copy)
            f.add(c.table, LockMode::RowExclusive);
          else
            f.add(c.table, LockMode::RowExclusive);
        } else if constexpr (std::is_same_v<T, RenameObject>) {
          if (c.kind == "index" && ctx.catalog) {
            if (auto* idx = ctx.catalog->index(c.name)) f.add(idx->table, LockMode::ShareUpdateExclusive);
          } else if (!c.table.empty()) {
            f.add(c.table, LockMode::AccessExclusive);
          }
        } else if constexpr (std::is_same_v<T, DropObject>) {
          if (c.kind == "view" || c.kind == "materialized view")
            for (auto& n : c.names) f.add(n, LockMode::AccessExclusive);
        } else if constexpr (std::is_same_v<T, OtherStatement>) {
          if (c.node == "CommentStmt" || c.node == "CreateStatsStmt") f.add(c.table, LockMode::ShareUpdateExclusive);
          // CREATE / ALTER / DROP POLICY open the table with AccessExclusiveLock (commands/policy.c):
          // catalog-only, but it queues behind every query on the table, and they behind it.
          if ((c.node == "CreatePolicyStmt" || c.node == "AlterPolicyStmt" || c.node == "DropPolicyStmt") &&
              !c.table.empty())
            f.add(c.table, LockMode::AccessExclusive);
        }
      },
      change.value);
  return f;
}

LockFacts lock_facts(const std::vector<Change>& changes, const LockContext& ctx) {
  LockFacts all;
  for (auto& c : changes) all.merge(lock_facts(c, ctx));
  return all;
}

}  // namespace pgstage
