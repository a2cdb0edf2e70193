#include "planner/fill.h"

#include <algorithm>
#include <cctype>
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

std::vector<FillComment> find_fills(const SourceFile& f, const std::vector<Comment>& comments, size_t prev_end,
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
  std::vector<FillComment> out;
  for (auto& c : comments) {
    if (c.begin < from || c.begin >= limit) continue;
    std::string t = trim(c.text);
    if (t.rfind(kFillMarker, 0) != 0) continue;
    std::string rest = t.substr(std::strlen(kFillMarker));
    if (!rest.empty() && rest[0] != ' ' && rest[0] != '\t') continue;  // pgstage:fillx is not ours
    std::string expr = trim(rest);
    if (expr.empty()) {
      err = where(f, c.begin) +
            ": `-- pgstage:fill` needs an expression, e.g. `-- pgstage:fill 0` or `-- pgstage:fill column = 0`";
      return {};
    }
    out.push_back({expr, c.begin});
  }
  return out;
}

namespace {
// `name = rest` (name plain or double-quoted; `=` alone, not part of <=, >=, <>, !=, ==): the column
// as Postgres names it and the expression; nullopt otherwise.
std::optional<std::pair<std::string, std::string>> column_form(const std::string& t) {
  std::string name;
  size_t i = 0;
  if (!t.empty() && t[0] == '"') {
    for (i = 1; i < t.size(); ++i) {
      if (t[i] == '"') {
        if (i + 1 < t.size() && t[i + 1] == '"') {
          name += '"';
          ++i;
          continue;
        }
        break;
      }
      name += t[i];
    }
    if (i >= t.size()) return std::nullopt;
    ++i;
  } else {
    while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '_' || (t[i] & 0x80)))
      name += char(std::tolower(static_cast<unsigned char>(t[i++])));
  }
  if (name.empty()) return std::nullopt;
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
  if (i >= t.size() || t[i] != '=' || (i + 1 < t.size() && t[i + 1] == '=')) return std::nullopt;
  std::string expr = trim(t.substr(i + 1));
  if (expr.empty()) return std::nullopt;
  return std::make_pair(name, expr);
}
}  // namespace

std::optional<std::string> fill_for(const SourceFile& f, const std::vector<FillComment>& fills,
                                    const std::vector<std::string>& filled, const std::string& column,
                                    std::string& err) {
  std::optional<std::string> own, all;
  for (auto& fc : fills) {
    auto form = column_form(fc.text);
    bool per_column = form && std::find(filled.begin(), filled.end(), form->first) != filled.end();
    if (per_column && form->first != column) continue;
    std::optional<std::string>& slot = per_column ? own : all;
    if (slot) {
      err = where(f, fc.offset) + (per_column ? ": a second `-- pgstage:fill` for column " + form->first
                                              : std::string(": a second `-- pgstage:fill <expression>` for the same "
                                                            "statement; name the column each one is for: "
                                                            "`-- pgstage:fill column = <expression>`"));
      return std::nullopt;
    }
    slot = per_column ? form->second : fc.text;
  }
  return own ? own : all;
}

std::vector<std::string> filled_columns(const LoweredStatement& lo) {
  std::vector<std::string> out;
  for (auto& c : lo.changes) {
    if (auto* a = c.as<AddColumn>()) {
      const ColumnDef& col = a->column;
      bool has_default = col.default_expr && !col.default_expr->is_null_constant;
      if (col.not_null && !has_default && !col.identity && !col.generated_stored && !col.type.is_serial)
        out.push_back(col.name);
    } else if (auto* s = c.as<SetNotNull>()) {
      out.push_back(s->column);
    }
  }
  return out;
}

}  // namespace pgstage::planner
