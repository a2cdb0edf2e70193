#include "analyzer/parse.h"

#include <pg_query.h>

#include <algorithm>
#include <cstring>

#include "analyzer/parse_tree.h"

namespace pgstage {

namespace {

// A small lexer that knows just enough SQL to find comments and statement ends: quotes,
// quoted identifiers, dollar quotes, E'' escapes and nested block comments.
struct Lexer {
  const std::string& s;
  size_t end;

  // Returns the offset just past a dollar-quote tag starting at i ("$tag$"), or npos.
  size_t dollar_tag_end(size_t i) const {
    size_t j = i + 1;
    if (j < end && (std::isdigit(static_cast<unsigned char>(s[j])))) return std::string::npos;
    while (j < end &&
           (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || static_cast<unsigned char>(s[j]) >= 0x80))
      ++j;
    if (j < end && s[j] == '$') return j + 1;
    return std::string::npos;
  }

  // Skips the token starting at i if it is a quote/comment; returns the offset after it.
  // Fills `comment` when it was a comment.
  size_t skip(size_t i, Comment* comment, bool* was_comment) const {
    *was_comment = false;
    char c = s[i];
    if (c == '-' && i + 1 < end && s[i + 1] == '-') {
      size_t e = s.find('\n', i);
      if (e == std::string::npos || e > end) e = end;
      *was_comment = true;
      if (comment) *comment = Comment{i, e, s.substr(i + 2, e - i - 2)};
      return e;
    }
    if (c == '/' && i + 1 < end && s[i + 1] == '*') {
      int depth = 1;
      size_t j = i + 2;
      while (j < end && depth > 0) {
        if (s[j] == '/' && j + 1 < end && s[j + 1] == '*') {
          ++depth;
          j += 2;
        } else if (s[j] == '*' && j + 1 < end && s[j + 1] == '/') {
          --depth;
          j += 2;
        } else
          ++j;
      }
      *was_comment = true;
      if (comment) {
        size_t body_end = depth == 0 ? j - 2 : j;
        *comment = Comment{i, j, s.substr(i + 2, body_end - (i + 2))};
      }
      return j;
    }
    if (c == '\'') {
      bool escapes = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e');
      size_t j = i + 1;
      while (j < end) {
        if (escapes && s[j] == '\\') {
          j += 2;
          continue;
        }
        if (s[j] == '\'') {
          if (j + 1 < end && s[j + 1] == '\'') {
            j += 2;
            continue;
          }
          return j + 1;
        }
        ++j;
      }
      return end;
    }
    if (c == '"') {
      size_t j = i + 1;
      while (j < end) {
        if (s[j] == '"') {
          if (j + 1 < end && s[j + 1] == '"') {
            j += 2;
            continue;
          }
          return j + 1;
        }
        ++j;
      }
      return end;
    }
    if (c == '$') {
      // Not a dollar quote when it continues an identifier or is a parameter ($1).
      if (i > 0 && (std::isalnum(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '_')) return i + 1;
      size_t te = dollar_tag_end(i);
      if (te == std::string::npos) return i + 1;
      std::string tag = s.substr(i, te - i);
      size_t close = s.find(tag, te);
      if (close == std::string::npos || close + tag.size() > end) return end;
      return close + tag.size();
    }
    return i + 1;
  }
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Moves `b` past whitespace and comments, `e` back over whitespace and ';'.
void trim_span(const std::string& s, size_t& b, size_t& e) {
  Lexer lx{s, e};
  while (b < e) {
    if (is_space(s[b])) {
      ++b;
      continue;
    }
    bool was_comment = false;
    if ((s[b] == '-' || s[b] == '/')) {
      size_t n = lx.skip(b, nullptr, &was_comment);
      if (was_comment) {
        b = n;
        continue;
      }
    }
    break;
  }
  while (e > b && (is_space(s[e - 1]) || s[e - 1] == ';')) --e;
}

struct RawSpan {
  size_t begin, end;
};

// Splits [b, e) at top-level semicolons (fallback when libpg_query cannot parse the whole text).
std::vector<RawSpan> split_statements(const std::string& s, size_t b, size_t e) {
  std::vector<RawSpan> out;
  Lexer lx{s, e};
  size_t start = b;
  size_t i = b;
  // BEGIN ... END blocks of CREATE FUNCTION ... BEGIN ATOMIC are rare; the parser reports them.
  while (i < e) {
    char c = s[i];
    if (c == ';') {
      out.push_back({start, i});
      start = i + 1;
      ++i;
      continue;
    }
    bool was_comment = false;
    i = lx.skip(i, nullptr, &was_comment);
  }
  if (start < e) out.push_back({start, e});
  return out;
}

void parse_one(const std::string& text, size_t b, size_t e, ParsedFile& out) {
  size_t tb = b, te = e;
  trim_span(text, tb, te);
  if (tb >= te) return;
  std::string sql = text.substr(tb, te - tb);
  PgQueryParseResult r = pg_query_parse(sql.c_str());
  Statement st;
  st.begin = tb;
  st.end = te;
  if (r.error) {
    ParseError pe;
    pe.message = r.error->message ? r.error->message : "syntax error";
    size_t cur = r.error->cursorpos > 0 ? size_t(r.error->cursorpos - 1) : 0;
    if (cur > sql.size()) cur = sql.size();
    pe.offset = tb + cur;
    st.error = pe;
    out.statements.push_back(std::move(st));
  } else {
    auto doc = parse_json_document(r.parse_tree);
    auto stmts = doc ? doc->root["stmts"].elements() : JsonView::ArrayRange();
    if (!doc) {
      // Never expected: libpg_query's JSON could not be read. Say so rather than drop the statement.
      st.error = ParseError{"pgstage could not read the parse tree of this statement (please report it)", tb};
      out.statements.push_back(std::move(st));
    } else if (stmts.empty()) {
      // Only comments or an empty statement.
    } else if (stmts.size() == 1) {
      auto tree = std::make_shared<ParseTree>();
      tree->doc = doc;
      tree->node = stmts[0]["stmt"];
      tree->base = int(tb);
      st.tree = std::move(tree);
      out.statements.push_back(std::move(st));
    } else {
      // The scanner split less finely than the parser (rare); keep the parser's statements.
      for (JsonView raw : stmts) {
        size_t loc = size_t(raw["stmt_location"].int_or(0));
        size_t len = size_t(raw["stmt_len"].int_or(0));
        size_t sb = tb + loc, se = len ? tb + loc + len : te;
        trim_span(text, sb, se);
        Statement s2;
        s2.begin = sb;
        s2.end = se;
        auto tree = std::make_shared<ParseTree>();
        tree->doc = doc;
        tree->node = raw["stmt"];
        tree->base = int(tb);
        s2.tree = std::move(tree);
        out.statements.push_back(std::move(s2));
      }
    }
  }
  pg_query_free_parse_result(r);
}

void collect_comments(const std::string& s, size_t b, size_t e, ParsedFile& out) {
  Lexer lx{s, e};
  size_t i = b;
  while (i < e) {
    char c = s[i];
    if (c == '-' || c == '/' || c == '\'' || c == '"' || c == '$') {
      Comment cm;
      bool was_comment = false;
      size_t n = lx.skip(i, &cm, &was_comment);
      if (was_comment) out.comments.push_back(std::move(cm));
      i = n > i ? n : i + 1;
    } else {
      ++i;
    }
  }
}

// Where [b, e) holds a block comment that never closes, its start; npos otherwise.
size_t unterminated_comment(const std::string& s, size_t b, size_t e) {
  Lexer lx{s, e};
  for (size_t i = b; i < e;) {
    if (s[i] == '/' && i + 1 < e && s[i + 1] == '*') {
      Comment cm;
      bool was_comment = false;
      size_t n = lx.skip(i, &cm, &was_comment);
      if (n >= e && cm.end == e && !(e - i >= 4 && s.compare(e - 2, 2, "*/") == 0)) return i;
      i = n;
    } else if (s[i] == '-' || s[i] == '\'' || s[i] == '"' || s[i] == '$') {
      bool was_comment = false;
      size_t n = lx.skip(i, nullptr, &was_comment);
      i = n > i ? n : i + 1;
    } else {
      ++i;
    }
  }
  return std::string::npos;
}

void parse_small(const std::string& text, size_t b, size_t e, ParsedFile& out);

}  // namespace

namespace {

// Sections larger than this are parsed in chunks of whole statements, so a huge file never turns
// into one huge JSON parse tree in memory.
constexpr size_t kChunkBytes = 256 * 1024;

ParsedFile parse_range(const std::string& text, size_t b, size_t e) {
  ParsedFile out;
  collect_comments(text, b, e, out);
  if (e - b <= kChunkBytes) {
    parse_small(text, b, e, out);
    return out;
  }
  auto spans = split_statements(text, b, e);
  size_t cb = b;
  for (size_t k = 0; k < spans.size(); ++k) {
    size_t ce = k + 1 < spans.size() ? spans[k + 1].begin : e;
    if (ce - cb >= kChunkBytes || k + 1 == spans.size()) {
      parse_small(text, cb, ce, out);
      cb = ce;
    }
  }
  return out;
}

void parse_small(const std::string& text, size_t b, size_t e, ParsedFile& out) {
  // Fast path: the whole section parses at once (libpg_query needs a NUL-terminated string).
  // libpg_query needs a NUL-terminated string: the whole text already is one, a part is copied.
  if (!std::memchr(text.data() + b, '\0', e - b)) {
    std::string section;
    if (b != 0 || e != text.size()) section = text.substr(b, e - b);
    PgQueryParseResult r = pg_query_parse(b == 0 && e == text.size() ? text.c_str() : section.c_str());
    if (!r.error) {
      auto doc = parse_json_document(r.parse_tree);
      pg_query_free_parse_result(r);
      if (doc) {
        for (JsonView raw : doc->root["stmts"].elements()) {
          size_t loc = size_t(raw["stmt_location"].int_or(0));
          size_t len = size_t(raw["stmt_len"].int_or(0));
          size_t sb = b + loc, se = len ? b + loc + len : e;
          trim_span(text, sb, se);
          Statement st;
          st.begin = sb;
          st.end = se;
          auto tree = std::make_shared<ParseTree>();
          tree->doc = doc;
          tree->node = raw["stmt"];
          tree->base = int(b);
          st.tree = std::move(tree);
          out.statements.push_back(std::move(st));
        }
        return;
      }
    } else {
      pg_query_free_parse_result(r);
    }
  }
  // Slow path: split, then parse each statement so one error does not hide the rest.
  for (auto& sp : split_statements(text, b, e)) {
    if (text.find('\0', sp.begin) < sp.end) {
      size_t tb = sp.begin, te = sp.end;
      trim_span(text, tb, te);
      if (tb >= te) continue;
      Statement st;
      st.begin = tb;
      st.end = te;
      st.error = ParseError{"invalid byte 0x00 in statement (is this a binary file?)", text.find('\0', sp.begin)};
      out.statements.push_back(std::move(st));
      continue;
    }
    size_t before = out.statements.size();
    parse_one(text, sp.begin, sp.end, out);
    size_t open = out.statements.size() == before ? unterminated_comment(text, sp.begin, sp.end) : std::string::npos;
    if (open != std::string::npos) {
      Statement st;
      st.begin = open;
      st.end = sp.end;
      st.error = ParseError{"unterminated /* comment", open};
      out.statements.push_back(std::move(st));
    }
  }
}

}  // namespace

std::shared_ptr<const JsonDocument> parse_json_document(std::string_view text) {
  auto doc = std::make_shared<JsonDocument>();
  auto parse = [&](simdjson::dom::parser& p) {
    return p.parse_into_document(doc->doc, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  };
  thread_local simdjson::dom::parser parser;  // simdjson's default depth limit: 1024
  auto root = parse(parser);
  if (root.error() == simdjson::DEPTH_ERROR) {
    // Deeply nested expressions (the Postgres grammar allows thousands of levels): a parser with
    // room for any depth the text can hold, made only when needed.
    simdjson::dom::parser deep;
    size_t depth = std::min<size_t>(text.size() / 2 + 2, size_t(1) << 22);
    if (deep.allocate(text.size(), depth) == simdjson::SUCCESS) root = parse(deep);
  }
  if (root.error()) return nullptr;
  doc->root = JsonView(root.value_unsafe());
  return doc;
}

ParsedFile parse_source(const SourceFile& f) { return parse_range(f.text, f.up_begin, f.up_end); }

ParsedFile parse_sql(const std::string& sql) { return parse_range(sql, 0, sql.size()); }

}  // namespace pgstage
