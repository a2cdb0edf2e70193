#include "rules/helpers.h"

namespace pgstage::rules {

std::string tick(const QualifiedName& n) { return "`" + display_name(n) + "`"; }

std::string tick(const QualifiedName& t, const std::string& column) {
  return "`" + display_name(t) + "." + display_ident(column) + "`";
}

std::string holding(const LockFacts& f, const QualifiedName& t) {
  LockMode m = f.mode;
  for (auto& tl : f.tables)
    if (Catalog::same(tl.table, t)) m = tl.mode;
  std::string phrase = lock_phrase(m);
  bool vowel = !phrase.empty() && std::string("AEIOU").find(phrase[0]) != std::string::npos;
  return std::string(vowel ? "holds an " : "holds a ") + phrase + " on " + tick(t);
}

size_t transaction_end(const StatementContext& ctx) {
  size_t first = size_t(ctx.index) + 1;
  if (!ctx.tx.in_transaction) return first;
  const auto& lowered = ctx.file_view.lowered();
  for (size_t k = first; k < lowered.size(); ++k)
    for (const Change& c : lowered[k].changes)
      if (auto* t = c.as<TransactionControl>();
          t && (t->kind == TxKind::Commit || t->kind == TxKind::Rollback || t->kind == TxKind::Prepare))
        return k;
  return lowered.size();
}

}  // namespace pgstage::rules
