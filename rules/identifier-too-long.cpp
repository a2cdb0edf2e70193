#include <cstring>

#include "rules/helpers.h"

namespace pgstage::rules {
namespace identifier_too_long {

constexpr size_t kMaxIdentifier = 63;  // NAMEDATALEN - 1

// Character classes of the SQL lexer's identifiers, as tables: this rule scans every byte of every
// statement, so it avoids a locale-aware call per byte.
struct IdentTables {
  bool start[256] = {};
  bool cont[256] = {};
  constexpr IdentTables() {
    for (int c = 0; c < 256; ++c) {
      bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      start[c] = alpha || c == '_' || c >= 0x80;
      cont[c] = start[c] || (c >= '0' && c <= '9') || c == '$';
    }
  }
};
constexpr IdentTables kIdent;
bool ident_start(unsigned char c) { return kIdent.start[c]; }
bool ident_char(unsigned char c) { return kIdent.cont[c]; }

// The parser truncates long identifiers before we see its tree, so scan the statement's text: every
// identifier token (plain or "quoted") outside strings and comments. Function bodies are strings
// and are skipped; a DO block's body runs now and is scanned.
// Whether [b, e) can hold a too-long identifier at all: a quoted one, or a run of more than 63
// identifier characters (most statements have neither, and this is cheaper than lexing them).
bool may_hold_long_identifier(const std::string& s, size_t b, size_t e) {
  if (std::memchr(s.data() + b, '"', e - b)) return true;
  size_t run = 0;
  for (size_t i = b; i < e; ++i) {
    run = ident_char(static_cast<unsigned char>(s[i])) ? run + 1 : 0;
    if (run > kMaxIdentifier) return true;
  }
  return false;
}

void check(const StatementContext& ctx, Reporter& r) {
  const std::string& s = ctx.file.text;
  size_t i = ctx.statement.begin, end = std::min(ctx.statement.end, s.size());
  if (i >= end || !may_hold_long_identifier(s, i, end)) return;
  auto report = [&](size_t at, const std::string& name) {
    r.report("identifier " + display_ident(name) + " is " + std::to_string(name.size()) +
                 " bytes long; Postgres silently truncates identifiers to 63 bytes, so it becomes " +
                 display_ident(name.substr(0, kMaxIdentifier)) + " and two long names with that prefix collide",
             "Shorten the name to at most 63 bytes (UTF-8), so the name in the database is the one in the code.",
             int(at));
  };
  while (i < end) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '-' && i + 1 < end && s[i + 1] == '-') {
      while (i < end && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < end && s[i + 1] == '*') {
      size_t e = s.find("*/", i + 2);
      i = e == std::string::npos || e >= end ? end : e + 2;
    } else if (c == '\'') {
      bool escapes = i > ctx.statement.begin && (s[i - 1] == 'E' || s[i - 1] == 'e');  // E'it\'s'
      for (++i; i < end; ++i) {
        if (escapes && s[i] == '\\') {
          ++i;
          continue;
        }
        if (s[i] == '\'') {
          if (i + 1 < end && s[i + 1] == '\'') {
            ++i;
            continue;
          }
          ++i;
          break;
        }
      }
    } else if (c == '$' && (i == ctx.statement.begin || !ident_char(static_cast<unsigned char>(s[i - 1])))) {
      size_t j = i + 1;
      while (j < end && ident_char(static_cast<unsigned char>(s[j])) && s[j] != '$') ++j;
      if (j < end && s[j] == '$' && ctx.lowered.do_block) {
        i = j + 1;  // a DO block's body is SQL that runs: scan it (its EXECUTE strings stay skipped)
      } else if (j < end && s[j] == '$') {
        std::string tag = s.substr(i, j - i + 1);
        size_t e = s.find(tag, j + 1);
        i = e == std::string::npos || e >= end ? end : e + tag.size();
      } else {
        ++i;
      }
    } else if (c == '"') {
      std::string name;
      size_t at = i;
      for (++i; i < end; ++i) {
        if (s[i] == '"') {
          if (i + 1 < end && s[i + 1] == '"') {
            name += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        name += s[i];
      }
      if (name.size() > kMaxIdentifier) report(at, name);
    } else if (ident_start(c)) {
      size_t at = i;
      while (i < end && ident_char(static_cast<unsigned char>(s[i]))) ++i;
      if (i - at == 1 && (c == 'E' || c == 'e') && i < end && s[i] == '\'') {
        continue;  // E'...' string: the quote branch handles it
      }
      if (i - at > kMaxIdentifier) {
        std::string name = s.substr(at, i - at);
        for (auto& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        report(at, name);
      }
    } else {
      ++i;
    }
  }
}

}  // namespace identifier_too_long

extern const Rule rule_identifier_too_long = {
    .id = "identifier-too-long",
    .category = Category::Style,
    .severity = Severity::Warning,
    .summary = "An identifier longer than 63 bytes",
    .why =
        "Postgres truncates identifiers to NAMEDATALEN-1 = 63 bytes with only a NOTICE. The object then has a "
        "different name than the migration and the code use, and two long names with the same first 63 bytes "
        "collide (\"relation already exists\"), or a DROP meant for one hits the other.",
    .lock = "None (naming).",
    .instead =
        "Keep names at most 63 bytes: abbreviate (`orders_customer_created_idx` rather than the full "
        "column list).",
    .bad =
        "CREATE INDEX index_on_customer_orders_by_customer_id_and_created_at_and_status_and_total "
        "ON orders (customer_id, created_at, status, total);",
    .good = "CREATE INDEX orders_customer_created_status_idx ON orders (customer_id, created_at, status, total);",
    .check = identifier_too_long::check,
};

}  // namespace pgstage::rules
