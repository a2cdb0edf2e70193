#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace {

// The columns of the table that takes `t`'s name later in the same transaction (an atomic swap:
// DROP TABLE t; ALTER TABLE t_new RENAME TO t;), or nullopt when nothing replaces it before COMMIT.
// Column names are empty when the replacement's columns are not known.
std::optional<std::vector<std::string>> replacement_columns(const StatementContext& ctx, const QualifiedName& t) {
  auto columns_of = [&](const QualifiedName& n) {
    std::vector<std::string> cols;
    if (const CatalogTable* x = ctx.catalog.table(n))
      for (auto& col : x->columns) cols.push_back(col.name);
    return cols;
  };
  auto scan = [&](const std::vector<Change>& changes, size_t from) -> std::optional<std::vector<std::string>> {
    for (size_t i = from; i < changes.size(); ++i) {
      const Change& c = changes[i];
      if (auto* rt = c.as<RenameTable>();
          rt && !rt->is_view && Catalog::same(QualifiedName{rt->table.schema, rt->new_name}, t))
        return columns_of(rt->table);
      if (auto* ct = c.as<CreateTable>(); ct && Catalog::same(ct->table, t)) {
        std::vector<std::string> cols;
        for (auto& col : ct->columns) cols.push_back(col.name);
        return cols;
      }
    }
    return std::nullopt;
  };
  // Later in the same statement (a DO block), then later statements of the same transaction.
  for (size_t i = 0; i < ctx.lowered.changes.size(); ++i)
    if (auto* d = ctx.lowered.changes[i].as<DropTable>(); d)
      for (auto& x : d->tables)
        if (Catalog::same(x, t))
          if (auto r = scan(ctx.lowered.changes, i + 1)) return r;
  if (!ctx.tx.in_transaction) return std::nullopt;
  const auto& lowered = ctx.file_view.lowered();
  for (size_t s = size_t(ctx.index) + 1; s < lowered.size(); ++s) {
    for (const Change& c : lowered[s].changes)
      if (auto* tc = c.as<TransactionControl>();
          tc && (tc->kind == TxKind::Commit || tc->kind == TxKind::Rollback || tc->kind == TxKind::Prepare))
        return std::nullopt;
    if (auto r = scan(lowered[s].changes, 0)) return r;
  }
  return std::nullopt;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<DropTable>(ctx, [&](const Change& c, const DropTable& a) {
    for (const QualifiedName& t : a.tables) {
      if (!existing(ctx, t) || absent_if_exists(ctx, a.if_exists, ctx.catalog.table(t) != nullptr)) continue;
      if (auto cols = replacement_columns(ctx, t)) {
        // An atomic swap: the running release keeps finding a table named t. It breaks only on the
        // columns the replacement lacks.
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

}  // namespace

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
    .check = check,
};

}  // namespace pgstage::rules
