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

namespace {
const RenameObject* find_type_rename(const FileView& file, const QualifiedName& n, bool into) {
  for (const auto& ls : file.lowered())
    for (const Change& c : ls.changes)
      if (auto* r = c.as<RenameObject>(); r && r->kind == "type") {
        QualifiedName to{r->name.schema, r->new_name};
        if (Catalog::same(into ? to : r->name, n)) return r;
      }
  return nullptr;
}
}  // namespace

const RenameObject* type_renamed_into(const FileView& file, const QualifiedName& n) {
  return find_type_rename(file, n, true);
}
const RenameObject* type_renamed_away(const FileView& file, const QualifiedName& n) {
  return find_type_rename(file, n, false);
}

const CreateEnum* enum_created(const FileView& file, const QualifiedName& n) {
  for (const auto& ls : file.lowered())
    for (const Change& c : ls.changes)
      if (auto* e = c.as<CreateEnum>(); e && Catalog::same(e->name, n)) return e;
  return nullptr;
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
