#include "analyzer/ignores.h"

#include <cctype>

namespace pgstage {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

// The text of a comment with block-comment line decorations (leading `*`) removed, on one line.
std::string comment_body(const std::string& text) {
  std::string out;
  size_t b = 0;
  while (b <= text.size()) {
    size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    std::string line = trim(text.substr(b, e - b));
    while (!line.empty() && line[0] == '*') line = trim(line.substr(1));
    if (!line.empty()) out += (out.empty() ? "" : " ") + line;
    b = e + 1;
  }
  return out;
}

bool word_end(const std::string& t, size_t i) {
  return i >= t.size() || std::isspace(static_cast<unsigned char>(t[i])) || t[i] == ',';
}

// The statement an ignore comment applies to: the statement it sits in; the statement ending on
// its line just before it (a trailing `stmt; -- pgstage:ignore rule`); else the next statement.
int ignore_target(const ParsedFile& pf, const SourceFile& f, const Comment& c) {
  for (size_t i = 0; i < pf.statements.size(); ++i) {
    const Statement& st = pf.statements[i];
    if (st.begin <= c.begin && c.begin < st.end) return int(i);
  }
  int prev = -1;
  for (size_t i = 0; i < pf.statements.size(); ++i)
    if (pf.statements[i].end <= c.begin) prev = int(i);
  int next = -1;
  for (size_t i = 0; i < pf.statements.size(); ++i)
    if (pf.statements[i].begin >= c.end) {
      next = int(i);
      break;
    }
  if (prev >= 0) {
    size_t pe = pf.statements[size_t(prev)].end;
    bool same_line = f.text.find('\n', pe) >= c.begin;
    bool next_on_line = next >= 0 && f.text.find('\n', c.end) > pf.statements[size_t(next)].begin;
    if (same_line && !next_on_line) return prev;
  }
  return next;
}

}  // namespace

std::vector<Ignore> find_ignores(const ParsedFile& pf, const SourceFile& f) {
  std::vector<Ignore> out;
  for (auto& c : pf.comments) {
    std::string t = comment_body(c.text);
    const std::string directive = "pgstage:ignore";
    if (t.rfind(directive, 0) != 0) continue;
    Ignore ig;
    ig.comment_begin = c.begin;
    ig.comment_end = c.end;
    size_t n = directive.size();
    if (t.compare(n, 5, "-file") == 0 && word_end(t, n + 5)) {
      ig.whole_file = true;
      n += 5;
    } else if (!word_end(t, n)) {
      size_t e = n;
      while (!word_end(t, e)) ++e;
      ig.bad_directive = t.substr(0, e);
      out.push_back(std::move(ig));
      continue;
    }
    t = t.substr(n);
    size_t reason = t.find("--");
    if (reason != std::string::npos) t = t.substr(0, reason);
    std::string cur;
    for (char ch : t + ",") {
      if (ch == ',' || std::isspace(static_cast<unsigned char>(ch))) {
        if (!cur.empty()) ig.rules.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
    ig.bare = ig.rules.empty();
    ig.used.assign(ig.rules.size(), 0);
    if (!ig.whole_file) ig.target_statement = ignore_target(pf, f, c);
    out.push_back(std::move(ig));
  }
  return out;
}

bool suppress(std::vector<Ignore>& ignores, std::string_view rule, int stmt) {
  bool hit = false;
  for (auto& ig : ignores) {
    if (!ig.whole_file && ig.target_statement != stmt) continue;
    for (size_t k = 0; k < ig.rules.size(); ++k)
      if (ig.rules[k] == rule || ig.rules[k] == "all") {
        ig.used[k]++;
        hit = true;
      }
  }
  return hit;
}

int statement_at(const std::vector<Statement>& statements, size_t offset) {
  for (size_t i = 0; i < statements.size(); ++i)
    if (statements[i].begin <= offset && offset <= statements[i].end) return int(i);
  return -1;
}

}  // namespace pgstage
