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

}  // namespace pgstage::rules
