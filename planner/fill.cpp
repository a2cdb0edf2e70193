#include "planner/fill.h"

#include <cstring>

namespace pgstage::planner {

namespace {
std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n*"), e = s.find_last_not_of(" \t\r\n*");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}
std::string where(const SourceFile& f, size_t offset) {
  Position p = f.position(offset);
  return f.path + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}
}  // namespace

std::optional<std::string> find_fill(const SourceFile& f, const std::vector<Comment>& comments, size_t prev_end,
                                     size_t begin, size_t end, size_t next_begin, std::string& err) {
  size_t line_end = f.text.find('\n', end);
  if (line_end == std::string::npos) line_end = f.text.size();
  size_t limit = std::min(line_end, std::max(next_begin, end));
  (void)begin;
  // A comment on the previous statement's last line belongs to that statement.
  size_t from = prev_end;
  if (prev_end > f.up_begin) {
    size_t nl = f.text.find('\n', prev_end);
    from = nl == std::string::npos ? f.text.size() : nl;
  }
  std::optional<std::string> out;
  for (auto& c : comments) {
    if (c.begin < from || c.begin >= limit) continue;
    std::string t = trim(c.text);
    if (t.rfind(kFillMarker, 0) != 0) continue;
    std::string rest = t.substr(std::strlen(kFillMarker));
    if (!rest.empty() && rest[0] != ' ' && rest[0] != '\t') continue;  // pgstage:fillx is not ours
    std::string expr = trim(rest);
    if (expr.empty()) {
      err = where(f, c.begin) + ": `-- pgstage:fill` needs an expression, e.g. `-- pgstage:fill 0`";
      return std::nullopt;
    }
    if (out) {
      err = where(f, c.begin) + ": a second `-- pgstage:fill` for the same statement; give one per statement";
      return std::nullopt;
    }
    out = expr;
  }
  return out;
}

}  // namespace pgstage::planner
