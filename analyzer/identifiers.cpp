// Identifier quoting and lock wording shared by rules, the planner and reports (declared in rule_api.h).
#include <algorithm>
#include <cctype>

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

std::string cut_identifier(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t k = n;
  while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
  return s.substr(0, k);
}

std::string pg_default_name(const std::string& name1, const std::string& name2, const std::string& label) {
  size_t overhead = label.empty() ? 0 : label.size() + 1;
  if (!name2.empty()) overhead += 1;
  std::string a = name1, b = name2;
  size_t avail = kMaxIdentBytes - overhead;
  while (a.size() + b.size() > avail) {
    if (a.size() > b.size())
      a = cut_identifier(a, a.size() - 1);
    else
      b = cut_identifier(b, b.size() - 1);
  }
  std::string out = a;
  if (!b.empty()) out += "_" + b;
  if (!label.empty()) out += "_" + label;
  return out;
}

std::string pg_default_name(const std::string& table, const std::vector<std::string>& columns,
                            const std::string& label) {
  // ChooseIndexColumnNames: column names joined by "_", cut to NAMEDATALEN-1 as it goes.
  std::string cols;
  for (auto& c : columns) {
    if (!cols.empty()) cols += "_";
    cols += c;
    if (cols.size() > kMaxIdentBytes) {
      cols = cut_identifier(cols, kMaxIdentBytes);
      break;
    }
  }
  return pg_default_name(table, cols, label);
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote_literal(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::vector<ColumnRef> column_refs_in(std::string_view sql) {
  std::vector<ColumnRef> out;
  auto ident_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || (c & 0x80);
  };
  auto next_is_call = [&](size_t j) {
    while (j < sql.size() && sql[j] == ' ') ++j;
    return j < sql.size() && sql[j] == '(';
  };
  auto after_type_cast_or_dot = [&](size_t i) {
    return (i > 0 && sql[i - 1] == '.') || (i >= 2 && sql.substr(i - 2, 2) == "::");
  };
  for (size_t i = 0; i < sql.size();) {
    char c = sql[i];
    if (c == '\'') {  // a string literal ('' inside is a quote)
      size_t j = i + 1;
      while (j < sql.size() && !(sql[j] == '\'' && (j + 1 >= sql.size() || sql[j + 1] != '\''))) j += sql[j] == '\'' ? 2 : 1;
      i = j + 1;
    } else if (c == '"') {  // a quoted identifier ("" inside is a quote)
      size_t j = i + 1;
      std::string name;
      while (j < sql.size() && !(sql[j] == '"' && (j + 1 >= sql.size() || sql[j + 1] != '"'))) {
        name += sql[j];
        j += sql[j] == '"' ? 2 : 1;
      }
      if (!after_type_cast_or_dot(i) && !next_is_call(j + 1)) out.push_back({name, i, std::min(j + 1, sql.size())});
      i = j + 1;
    } else if (ident_char(c) && !std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < sql.size() && ident_char(sql[j])) ++j;
      std::string name;
      for (size_t k = i; k < j; ++k) name += char(std::tolower(static_cast<unsigned char>(sql[k])));
      if (!after_type_cast_or_dot(i) && !next_is_call(j)) out.push_back({name, i, j});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < sql.size() && ident_char(sql[i])) ++i;  // 1e5, 0x1F
    } else {
      ++i;
    }
  }
  return out;
}

std::string rename_column_refs(std::string_view sql, const std::string& from, const std::string& to, bool* found) {
  std::string out;
  size_t at = 0;
  if (found) *found = false;
  for (auto& ref : column_refs_in(sql)) {
    if (ref.name != from) continue;
    out.append(sql, at, ref.begin - at);
    out += quote_ident(to);
    at = ref.end;
    if (found) *found = true;
  }
  out.append(sql, at);
  return out;
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
