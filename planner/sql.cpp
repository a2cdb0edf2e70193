#include "planner/sql.h"

#include <cctype>
#include <cstdio>

#include "analyzer/rule_api.h"
#include "planner/context.h"

namespace pgstage::planner {

std::string index_storage_sql(const IndexStorage& s) {
  return (s.nulls_not_distinct ? " NULLS NOT DISTINCT" : "") + (s.with.empty() ? "" : " WITH (" + s.with + ")") +
         (s.tablespace.empty() ? "" : " TABLESPACE " + quote_ident(s.tablespace));
}

std::string key_index_tail(const Constraint& k) {
  return (k.include.empty() ? "" : " INCLUDE (" + column_list(k.include) + ")") + index_storage_sql(k.storage);
}

std::string regclass_literal(const QualifiedName& t) { return quote_literal(quote_name(t)) + "::regclass"; }

namespace {
uint32_t fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace

std::string bounded_name(const std::string& base) {
  if (base.size() <= kMaxIdentBytes) return base;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", fnv1a(base));
  return cut_identifier(base, kMaxIdentBytes - 9) + "_" + hex;
}

QualifiedName sibling(const QualifiedName& t, const std::string& name) { return QualifiedName{t.schema, name}; }

std::string do_block(const std::string& body) {
  std::string tag = "$pgstage$";
  for (int i = 1; body.find(tag) != std::string::npos; ++i) tag = "$pgstage" + std::to_string(i) + "$";
  return "DO " + tag + "\nBEGIN\n" + body + "END\n" + tag;
}

std::vector<Word> top_words(std::string_view s) {
  std::vector<Word> out;
  int depth = 0;
  size_t i = 0, n = s.size();
  while (i < n) {
    char c = s[i];
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      while (i < n && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t e = s.find("*/", i + 2);
      i = e == std::string_view::npos ? n : e + 2;
    } else if (c == '\'' || c == '"') {
      ++i;
      while (i < n) {
        if (s[i] == c) {
          if (i + 1 < n && s[i + 1] == c)
            i += 2;
          else
            break;
        } else {
          ++i;
        }
      }
      ++i;
    } else if (c == '$') {
      size_t e = i + 1;
      while (e < n && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_')) ++e;
      if (e < n && s[e] == '$') {
        std::string tag(s.substr(i, e - i + 1));
        size_t close = s.find(tag, e + 1);
        i = close == std::string_view::npos ? n : close + tag.size();
      } else {
        i = e;
      }
    } else if (c == '(') {
      ++depth, ++i;
    } else if (c == ')') {
      --depth, ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t b = i;
      while (i < n && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$')) ++i;
      Word w;
      for (size_t k = b; k < i; ++k) w.upper += char(std::toupper(static_cast<unsigned char>(s[k])));
      w.begin = b;
      w.end = i;
      w.depth = depth;
      out.push_back(std::move(w));
    } else {
      ++i;
    }
  }
  return out;
}

std::string inline_constraint_sql(const QualifiedName& t, const std::string& column, const Constraint& k,
                                  std::string& name) {
  bool fk = k.kind == ConstraintKind::ForeignKey;
  name = !k.name.empty() ? k.name : pg_default_name(t.name, column, fk ? "fkey" : "check");
  if (!fk) return "CHECK (" + (k.check ? k.check->sql : std::string("true")) + ")";
  std::string refs;
  for (auto& r : k.ref_columns) refs += (refs.empty() ? "" : ", ") + quote_ident(r);
  return "FOREIGN KEY (" + quote_ident(column) + ") REFERENCES " + quote_name(k.ref_table) +
         (refs.empty() ? "" : " (" + refs + ")") + k.fk_options;
}

}  // namespace pgstage::planner
