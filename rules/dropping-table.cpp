#include "analyzer/table_swaps.h"
#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace dropping_table {

// The table that takes `t`'s name later in the same transaction (an atomic swap, see
// analyzer/table_swaps.h): its columns (empty when not known) and, for a rename, the name it had.
// nullopt when nothing replaces `t` before COMMIT.
struct Replacement {
  std::vector<std::string> columns;
  std::optional<QualifiedName> renamed_from;
};

std::optional<Replacement> replacement_of(const StatementContext& ctx, const QualifiedName& t) {
  const auto& changes = ctx.lowered.changes;
  for (size_t i = 0; i < changes.size(); ++i) {
    auto* d = changes[i].as<DropTable>();
    if (!d || std::none_of(d->tables.begin(), d->tables.end(), [&](auto& x) { return Catalog::same(x, t); }))
      continue;
    auto r = swap_replacement(ctx.file_view.lowered(), size_t(ctx.index), i, ctx.tx.in_transaction, t);
    if (!r) continue;
    Replacement out{r->created_columns, r->renamed_from};
    if (r->renamed_from)
      if (const CatalogTable* x = ctx.catalog.table(*r->renamed_from))
        for (auto& col : x->columns) out.columns.push_back(col.name);
    return out;
  }
  return std::nullopt;
}

// A swap that replaces `t` by `copy`, whose rows were copied from `t` (CREATE TABLE AS, INSERT ...
// SELECT): what the running release writes to `t` after the copy is lost, unless the copy ran in
// this transaction after a LOCK TABLE that blocks writes to `t`. Returns the statement index of the
// copy in this file (-1: in an earlier file), or nullopt when the copy is protected.
std::optional<int> unprotected_copy(const StatementContext& ctx, const QualifiedName& t, const QualifiedName& copy) {
  const auto& lowered = ctx.file_view.lowered();
  auto ends_or_starts_tx = [&](size_t s) {
    for (const Change& c : lowered[s].changes)
      if (c.as<TransactionControl>()) return true;
    return false;
  };
  int copy_at = -1;  // the last statement before this one that filled `copy`
  for (size_t s = size_t(ctx.index); s-- > 0 && copy_at < 0;)
    for (const Change& c : lowered[s].changes) {
      auto* ct = c.as<CreateTable>();
      auto* d = c.as<Dml>();
      if ((ct && Catalog::same(ct->table, copy)) || (d && Catalog::same(d->table, copy) && !d->copied_from.empty()))
        copy_at = int(s);
    }
  if (copy_at < 0 || !ctx.tx.in_transaction) return copy_at;
  for (size_t s = size_t(copy_at) + 1; s < size_t(ctx.index); ++s)
    if (ends_or_starts_tx(s)) return copy_at;  // the copy committed before the swap's transaction
  // Same transaction: protected when a LOCK TABLE blocking writes to `t` ran before the copy in it.
  for (size_t s = size_t(copy_at) + 1; s-- > 0;) {
    for (const Change& c : lowered[s].changes)
      if (auto* l = c.as<LockTable>(); l && blocks_writes(lock_mode_from_name(l->mode)))
        for (auto& x : l->tables)
          if (Catalog::same(x, t)) return std::nullopt;
    if (ends_or_starts_tx(s)) break;
  }
  return copy_at;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<DropTable>(ctx, [&](const Change& c, const DropTable& a) {
    for (const QualifiedName& t : a.tables) {
      if (!existing(ctx, t) || absent_if_exists(ctx, a.if_exists, ctx.catalog.table(t) != nullptr)) continue;
      if (auto rep = replacement_of(ctx, t)) {
        // An atomic swap: the running release keeps finding a table named t. It breaks on the
        // columns the replacement lacks, and loses the writes made to t after a copy was taken.
        const CatalogTable* copy = rep->renamed_from ? ctx.catalog.table(*rep->renamed_from) : nullptr;
        bool copied = copy && std::any_of(copy->copied_from.begin(), copy->copied_from.end(),
                                          [&](auto& x) { return Catalog::same(x, t); });
        if (copied)
          if (auto at = unprotected_copy(ctx, t, *rep->renamed_from)) {
            std::string when = *at >= 0 ? "at line " + std::to_string(ctx.file.position(
                                                           ctx.file_view.statements()[size_t(*at)].begin).line)
                                        : std::string("earlier");
            r.report(Reporter::Report{
                "replacing table " + tick(t) + " with " + tick(*rep->renamed_from) + ", a copy of its rows taken " +
                    when +
                    ": rows the release running during the deploy inserts, updates or deletes in " + tick(t) +
                    " after the copy was taken are lost when the copy takes its place",
                "Block writes to " + tick(t) +
                    " from the copy to the swap, in one transaction (writes wait while it copies):\n  BEGIN;\n  "
                    "LOCK TABLE " +
                    quote_name(t) + " IN SHARE MODE;\n  CREATE TABLE " + quote_name(*rep->renamed_from) +
                    " AS SELECT ... FROM " + quote_name(t) + ";\n  DROP TABLE " + quote_name(t) +
                    ";\n  ALTER TABLE " + quote_name(*rep->renamed_from) + " RENAME TO " + quote_ident(t.name) +
                    ";\n  COMMIT;\nFor a large table, change it in place instead (`pgstage plan` stages column "
                    "changes online), or keep the copy in sync with a trigger until the swap.",
                where(c), Severity::Error, std::nullopt});
            continue;
          }
        const std::vector<std::string>* cols = &rep->columns;
        std::vector<std::string> missing;
        if (const CatalogTable* old = ctx.catalog.table(t); old && !cols->empty())
          for (auto& col : old->columns)
            if (std::find(cols->begin(), cols->end(), col.name) == cols->end()) missing.push_back(col.name);
        if (missing.empty()) continue;
        std::string list;
        for (auto& m : missing) list += (list.empty() ? "`" : ", `") + display_ident(m) + "`";
        r.report("replacing table " + tick(t) +
                     " in one transaction (drop, then another table takes its name): "
                     "the replacement has no column " +
                     list +
                     ", so the release running during the deploy fails "
                     "where it reads or writes " +
                     (missing.size() == 1 ? "it" : "them"),
                 "Give the replacement every column the running release uses (drop the unused ones in the next "
                 "release), or ship code that no longer uses them first.",
                 where(c));
        continue;
      }
      r.report("dropping table " + tick(t) +
                   ": the release running during the deploy still queries it and fails with `relation does not "
                   "exist`, and its rows are gone; the drop " +
                   lock_on(ctx, c, t) +
                   (a.cascade ? " and CASCADE also drops the foreign keys and views that depend on it" : ""),
               "Ship a release that no longer uses " + tick(t) +
                   ", then drop it in a migration of the next release:"
                   "\n  DROP TABLE " +
                   quote_name(t) + ";" + plan_line(),
               where(c));
    }
  });
}

}  // namespace dropping_table

extern const Rule rule_dropping_table = {
    .id = "dropping-table",
    .category = Category::Compat,
    .severity = Severity::Error,
    .summary = "DROP TABLE of an existing table",
    .why =
        "The release that runs during the deploy may still read or write the table; its queries fail from the "
        "moment the drop commits, and the data cannot be recovered.",
    .lock =
        "ACCESS EXCLUSIVE on the table (blocks reads and writes), and on every table whose foreign key "
        "references it.",
    .instead = "Deprecate first: release N stops using the table; release N+1 runs `DROP TABLE t;`.",
    .bad = "CREATE TABLE sessions (id bigint PRIMARY KEY);\n-- pgstage:history-end\nDROP TABLE sessions;",
    .good = "CREATE TABLE scratch (id bigint PRIMARY KEY);\nDROP TABLE scratch;",
    .check = dropping_table::check,
};

}  // namespace pgstage::rules
