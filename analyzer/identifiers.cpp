// Identifier quoting and lock wording shared by rules, the planner and reports (declared in rule_api.h).
#include "analyzer/rule_api.h"

namespace pgstage {

std::string display_ident(std::string_view name) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) plain = false;
  return plain ? std::string(name) : quote_ident(name);
}

std::string display_name(const QualifiedName& n) {
  return n.schema.empty() ? display_ident(n.name) : display_ident(n.schema) + "." + display_ident(n.name);
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote_name(const QualifiedName& n) {
  return n.schema.empty() ? quote_ident(n.name) : quote_ident(n.schema) + "." + quote_ident(n.name);
}

std::string lock_phrase(LockMode m) {
  std::string s(lock_mode_name(m));
  s += " lock";
  if (blocks_reads(m))
    s += " (blocks reads and writes)";
  else if (blocks_writes(m))
    s += " (blocks writes)";
  else if (m != LockMode::None)
    s += " (reads and writes continue)";
  return s;
}

}  // namespace pgstage
