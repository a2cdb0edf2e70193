#include "analyzer/table_swaps.h"

#include "analyzer/catalog.h"

namespace pgstage {

namespace {

// A statement that ends the transaction a swap must sit in, or starts another one.
bool transaction_boundary(const LoweredStatement& st) {
  for (const Change& c : st.changes)
    if (auto* tc = c.as<TransactionControl>();
        tc && tc->kind != TxKind::Savepoint && tc->kind != TxKind::Release && tc->kind != TxKind::RollbackTo)
      return true;
  return false;
}

std::optional<SwapReplacement> takes_name(const Change& c, const QualifiedName& t, size_t statement) {
  if (auto* rt = c.as<RenameTable>(); rt && !rt->is_view && Catalog::same(QualifiedName{rt->table.schema, rt->new_name}, t))
    return SwapReplacement{statement, rt->table, {}};
  if (auto* ct = c.as<CreateTable>(); ct && Catalog::same(ct->table, t)) {
    SwapReplacement r{statement, std::nullopt, {}};
    for (auto& col : ct->columns) r.created_columns.push_back(col.name);
    return r;
  }
  return std::nullopt;
}

bool drops(const Change& c, const QualifiedName& t) {
  if (auto* d = c.as<DropTable>())
    for (auto& x : d->tables)
      if (Catalog::same(x, t)) return true;
  return false;
}

}  // namespace

std::optional<SwapReplacement> swap_replacement(const std::vector<LoweredStatement>& lowered, size_t at,
                                                size_t change, bool in_transaction, const QualifiedName& t) {
  if (at >= lowered.size()) return std::nullopt;
  const auto& own = lowered[at].changes;
  for (size_t i = change + 1; i < own.size(); ++i)
    if (auto r = takes_name(own[i], t, at)) return r;
  if (!in_transaction) return std::nullopt;
  for (size_t s = at + 1; s < lowered.size(); ++s) {
    if (transaction_boundary(lowered[s])) return std::nullopt;
    for (const Change& c : lowered[s].changes)
      if (auto r = takes_name(c, t, s)) return r;
  }
  return std::nullopt;
}

bool completes_swap(const std::vector<LoweredStatement>& lowered, size_t at, size_t change, bool in_transaction,
                    const QualifiedName& t) {
  if (at >= lowered.size()) return false;
  const auto& own = lowered[at].changes;
  for (size_t i = 0; i < change && i < own.size(); ++i)
    if (drops(own[i], t)) return true;
  if (!in_transaction) return false;
  for (size_t s = at; s-- > 0;) {
    if (transaction_boundary(lowered[s])) return false;
    for (const Change& c : lowered[s].changes)
      if (drops(c, t)) return true;
  }
  return false;
}

}  // namespace pgstage
