// `--format markdown`: a report to post as a pull-request comment (GitHub-flavoured Markdown).
// Everything taken from the input (paths, messages, SQL) is escaped for where it lands: table
// cells, prose, code spans, fenced code blocks or HTML. Past ReportOptions::max_bytes the report
// stops at a whole entry (a statement row, a finding, a plan step) and says what it left out.
#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>

#include "analyzer/rule_api.h"
#include "cli/report.h"
#include "planner/planner.h"

namespace pgstage::cli {

namespace {


// Inline prose: Markdown punctuation is backslash-escaped, HTML's `<`, `>`, `&` become entities
// (they work both in Markdown and inside HTML blocks), line breaks become spaces.
std::string md_inline(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '|':
      case '~':
      case '#':
      case '!':
        out += '\\';
        out += c;
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\r':
        break;
      case '\n':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

size_t longest_backtick_run(std::string_view s);
std::string code_span(std::string_view s, bool in_table = false);

// Prose whose `quoted` parts (rules quote names and SQL that way) become code spans: with an even
// number of backticks the text alternates prose and code; otherwise every backtick is escaped.
// Either way nothing in it is read as Markdown or HTML.
std::string md_prose(std::string_view s) {
  if (std::count(s.begin(), s.end(), '`') % 2 != 0) return md_inline(s);
  std::string out;
  bool code = false;
  size_t pos = 0;
  for (;;) {
    size_t tick = s.find('`', pos);
    std::string_view part = s.substr(pos, tick == std::string_view::npos ? std::string_view::npos : tick - pos);
    if (code) {
      if (!part.empty()) out += code_span(part);
    } else {
      out += md_inline(part);
    }
    if (tick == std::string_view::npos) break;
    code = !code;
    pos = tick + 1;
  }
  return out;
}

// Prose of several lines (help, descriptions): each line escaped inline, with what would start a
// block at the beginning of a line (list, heading underline, indented code) neutralised.
std::string md_block(std::string_view s) {
  std::string out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t eol = s.find('\n', pos);
    std::string_view line = s.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    std::string esc = md_prose(line);
    if (!esc.empty() && (esc[0] == '-' || esc[0] == '+' || esc[0] == '=')) esc.insert(0, "\\");
    size_t digits = 0;
    while (digits < esc.size() && esc[digits] >= '0' && esc[digits] <= '9') ++digits;
    if (digits > 0 && digits < esc.size() && (esc[digits] == '.' || esc[digits] == ')')) esc.insert(digits, "\\");
    out += esc;
    if (eol == std::string_view::npos) break;
    out += "  \n";  // a hard line break: keep the author's lines
    pos = eol + 1;
  }
  while (out.size() >= 3 && out.compare(out.size() - 3, 3, "  \n") == 0) out.resize(out.size() - 3);
  return out;
}

size_t longest_backtick_run(std::string_view s) {
  size_t best = 0, run = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

// A code span that holds `s` literally, whatever backticks it contains. In a table cell the pipes
// must still be escaped (GFM splits cells before it parses code spans): pass in_table.
std::string code_span(std::string_view s, bool in_table) {
  std::string body;
  for (char c : s) {
    if (c == '\n' || c == '\r')
      body += ' ';
    else if (c == '|' && in_table)
      body += "\\|";
    else
      body += c;
  }
  std::string fence(longest_backtick_run(body) + 1, '`');
  bool pad = !body.empty() && (body.front() == '`' || body.back() == '`' || body.front() == ' ');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

// A fenced code block longer than any backtick run inside, so the SQL cannot close it.
std::string code_block(std::string_view s, std::string_view lang) {
  std::string fence(std::max<size_t>(3, longest_backtick_run(s) + 1), '`');
  std::string out = fence + std::string(lang) + "\n" + std::string(s);
  if (out.back() != '\n') out += '\n';
  return out + fence + "\n";
}

std::string html_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

const char* icon(Severity s) {
  return s == Severity::Error ? ":x:" : s == Severity::Warning ? ":warning:" : ":information_source:";
}

// "ACCESS EXCLUSIVE on `users`; SHARE on `orders`" (tables grouped by mode, strongest first).
std::string lock_cell(const LockFacts& l) {
  if (l.mode == LockMode::None) return "none";
  if (l.tables.empty()) return std::string(lock_mode_name(l.mode));
  std::map<int, std::vector<std::string>, std::greater<int>> by_mode;
  for (auto& t : l.tables) by_mode[int(t.mode)].push_back(t.table.str());
  std::string out;
  for (auto& [mode, tables] : by_mode) {
    if (!out.empty()) out += "; ";
    out += std::string(lock_mode_name(LockMode(mode))) + " on ";
    for (size_t i = 0; i < tables.size() && i < 3; ++i) out += (i ? ", " : "") + code_span(tables[i], true);
    if (tables.size() > 3) out += " and " + std::to_string(tables.size() - 3) + " more";
  }
  return out;
}

std::string rewrite_cell(const LockFacts& l) {
  if (l.rewrite) return l.rewrite_uncertain ? "may rewrite" : "rewrite";
  if (l.scan) return "scan";
  return "no";
}

// One unit of the report that is either shown whole or left out. Entries of one group share a
// prefix (a file's heading and table header, a phase heading) written before the first one shown.
struct Entry {
  enum Kind { Row, Finding, Step } kind = Row;
  std::string group;  // identifies the group; the prefix is written when it changes
  std::string prefix;
  std::string text;
};

struct Left {
  size_t rows = 0, findings = 0, steps = 0;
  std::vector<std::string> groups;
};

// header + entries (whole, in document order) + a note on what was left out when they do not all
// fit in max_bytes. Findings and plan steps come first: the first ones that fit are kept, then the
// first statement rows that fit in what remains (a reviewer needs the findings more than the table).
std::string assemble(const std::string& header, const std::vector<Entry>& entries, size_t max_bytes,
                     const std::function<std::string(const Left&)>& note) {
  auto write = [&](const std::vector<bool>& keep) {
    std::string out = header;
    std::string last_group;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!keep[i]) continue;
      if (entries[i].group != last_group) out += entries[i].prefix;
      out += entries[i].text;
      last_group = entries[i].group;
    }
    return out;
  };
  std::vector<bool> keep(entries.size(), true);
  std::string full = write(keep);
  if (full.size() <= max_bytes) return full;

  auto left_out = [&](const std::vector<bool>& kept) {
    Left left;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (kept[i]) continue;
      const Entry& e = entries[i];
      (e.kind == Entry::Row ? left.rows : e.kind == Entry::Finding ? left.findings : left.steps)++;
      if (std::find(left.groups.begin(), left.groups.end(), e.group) == left.groups.end())
        left.groups.push_back(e.group);
    }
    return left;
  };
  // The note with every entry left out is the longest it can be (counts only shrink).
  size_t budget = max_bytes - std::min(max_bytes, note(left_out(std::vector<bool>(entries.size(), false))).size() + 2);
  std::fill(keep.begin(), keep.end(), false);
  size_t used = header.size();
  std::set<std::string> groups_started;  // a group's prefix is paid once, by its first kept entry
  for (bool rows : {false, true}) {
    for (size_t i = 0; i < entries.size(); ++i) {
      const Entry& e = entries[i];
      if ((e.kind == Entry::Row) != rows) continue;
      size_t cost = e.text.size() + (groups_started.count(e.group) ? 0 : e.prefix.size());
      if (used + cost > budget) break;  // whole entries, in order: stop at the first that does not fit
      keep[i] = true;
      used += cost;
      groups_started.insert(e.group);
    }
  }
  return write(keep) + "\n" + note(left_out(keep));
}

std::string finding_text(const Finding& f) {
  std::string where = f.file + ":" + std::to_string(f.start.line) + ":" + std::to_string(f.start.column);
  std::string out = icon(f.severity) + std::string(" **") + std::string(severity_name(f.severity)) + "** " +
                    code_span(f.rule) + " at " + code_span(where) + ": " + md_prose(f.message) + "\n\n";
  if (!f.help.empty())
    out += "<details><summary>How to fix " + html_text(f.rule) + "</summary>\n\n" + md_block(f.help) +
           "\n\n</details>\n\n";
  return out;
}

}  // namespace

std::string render_markdown(const LintResult& r, const ReportOptions& o) {
  size_t errors = size_t(r.count(Severity::Error)), warnings = size_t(r.count(Severity::Warning)),
         hints = size_t(r.count(Severity::Hint));
  std::string header = "## pgstage lint: " + plural(errors, "error") + ", " + plural(warnings, "warning") + ", " +
                       plural(hints, "hint") + "\n\n";
  header += plural(r.files.size(), "file") + ", " + plural(r.statement_count(), "statement") + ". ";
  header += r.fails(o.fail_on)
                ? ":x: Fails at `" + std::string(severity_name(o.fail_on)) + "`.\n\n"
                : ":white_check_mark: Nothing at or above `" + std::string(severity_name(o.fail_on)) + "`.\n\n";
  for (auto& e : r.errors) header += ":no_entry: " + md_inline(e) + "\n\n";

  // Findings by statement, and the file-level ones by file.
  std::map<int, std::array<size_t, 3>> per_statement;
  for (auto& f : r.findings)
    if (f.statement_index >= 0) per_statement[f.statement_index][size_t(f.severity)]++;
  std::map<std::string, std::vector<size_t>> statements_of, findings_of;
  for (size_t i = 0; i < r.statements.size(); ++i) statements_of[r.statements[i].file].push_back(i);
  for (size_t i = 0; i < r.findings.size(); ++i) findings_of[r.findings[i].file].push_back(i);

  std::vector<std::string> files;
  for (auto& fs : r.files) files.push_back(fs.path);
  for (auto& [path, _] : findings_of)
    if (std::find(files.begin(), files.end(), path) == files.end()) files.push_back(path);

  std::vector<Entry> entries;
  for (auto& path : files) {
    std::string heading = "\n### " + code_span(path) + "\n\n";
    auto st = statements_of.find(path);
    if (st == statements_of.end()) {
      entries.push_back({Entry::Row, "table:" + path, heading, "No statements.\n\n"});
    } else {
      std::string table_head = heading +
                               "| Statement | Kind | Lock | Rewrite / scan | Errors | Warnings | Hints |\n"
                               "| --- | --- | --- | --- | ---: | ---: | ---: |\n";
      for (size_t i : st->second) {
        const StatementInfo& s = r.statements[i];
        auto counts = per_statement[int(i)];
        std::string row = "| " + std::to_string(s.start.line) + ":" + std::to_string(s.start.column) + " | " +
                          (s.syntax_error ? std::string("syntax error") : code_span(s.kind, true)) + " | " +
                          lock_cell(s.lock) + " | " + rewrite_cell(s.lock) + " | " +
                          std::to_string(counts[size_t(Severity::Error)]) + " | " +
                          std::to_string(counts[size_t(Severity::Warning)]) + " | " +
                          std::to_string(counts[size_t(Severity::Hint)]) + " |\n";
        entries.push_back({Entry::Row, "table:" + path, table_head, row});
      }
    }
    auto fi = findings_of.find(path);
    if (fi == findings_of.end()) continue;
    for (size_t i : fi->second)
      entries.push_back({Entry::Finding, "findings:" + path, "\n#### Findings in " + code_span(path) + "\n\n",
                         finding_text(r.findings[i])});
  }
  return assemble(header, entries, o.max_bytes, [&](const Left& left) {
    std::vector<std::string> parts;
    if (left.findings) parts.push_back(plural(left.findings, "finding"));
    if (left.rows) parts.push_back(plural(left.rows, "statement row"));
    std::string what = parts.empty() ? "some entries" : parts[0] + (parts.size() > 1 ? " and " + parts[1] : "");
    std::set<std::string> files_left;  // groups are "table:PATH" and "findings:PATH"
    for (auto& g : left.groups) files_left.insert(g.substr(g.find(':') + 1));
    return "> **Truncated:** " + what + " (in " + plural(files_left.size(), "file") +
           ") not shown, to keep this comment under " + std::to_string(o.max_bytes) +
           " bytes. Run `pgstage lint` on the same files (text, or `--format json`) to see them all, or raise "
           "`--max-bytes`.\n";
  });
}

std::string render_plan_markdown(const planner::Plan& p, const std::vector<Finding>& unplannable,
                                 const ReportOptions& o) {
  std::string header = "## pgstage plan: " + code_span(p.source_path) + "\n\n";
  header += plural(p.phases.size(), "phase") + ", " + plural(p.steps.size(), "step") + ". Source " +
            code_span(p.source_checksum) + ".\n\n";
  header += "| Phase | Steps | Runs | Releases running |\n| --- | ---: | --- | --- |\n";
  for (auto& info : p.phases)
    header += "| " + std::string(planner::phase_name(info.phase)) + " | " +
              std::to_string(p.steps_of(info.phase).size()) + " | " + md_inline(info.runs) + " | " +
              md_inline(info.releases_running) + " |\n";
  header += "\n";

  std::vector<Entry> entries;
  for (auto& f : unplannable)
    entries.push_back({Entry::Finding, "unplannable",
                       "### :warning: No recipe stages these: they run as written in expand\n\n", finding_text(f)});
  int n = 0;
  for (auto& info : p.phases) {
    ++n;
    std::string name(planner::phase_name(info.phase));
    std::string heading = "### Phase " + std::to_string(n) + ": " + name + "\n\n";
    auto steps = p.steps_of(info.phase);
    if (steps.empty()) {
      entries.push_back({Entry::Step, "phase:" + name, heading, "No steps.\n\n"});
      continue;
    }
    for (const planner::Step* s : steps) {
      std::string t = "**" + code_span(s->id) + "** " + md_inline(s->kind);
      if (!s->rule.empty()) t += " · " + code_span(s->rule);
      if (s->lock.mode != LockMode::None) t += " · " + md_inline(lock_phrase(s->lock.mode));
      if (!s->transactional) t += " · outside a transaction";
      t += "\n\n";
      if (!s->description.empty()) t += md_block(s->description) + "\n\n";
      std::string sql, summary = "SQL";
      if (s->backfill) {
        summary = "SQL: batches of " + std::to_string(s->backfill->batch_size) +
                  " rows, each its own transaction, resumable from the last key";
        sql = planner::backfill_batch_text(*s->backfill) + ";";
      } else {
        sql = s->sql + ";";
      }
      t += "<details><summary>" + html_text(summary) + "</summary>\n\n" + code_block(sql, "sql") + "\n</details>\n\n";
      entries.push_back({Entry::Step, "phase:" + name, heading, t});
    }
  }
  return assemble(header, entries, o.max_bytes, [&](const Left& left) {
    std::vector<std::string> parts;
    if (left.steps) parts.push_back(plural(left.steps, "step"));
    if (left.findings) parts.push_back(plural(left.findings, "finding"));
    std::string what = parts.empty() ? "some entries" : parts[0] + (parts.size() > 1 ? " and " + parts[1] : "");
    return "> **Truncated:** " + what + " not shown, to keep this comment under " + std::to_string(o.max_bytes) +
           " bytes. Run `pgstage plan` on the same file (text, or `--out DIR` for the SQL of each phase) to see them "
           "all, or raise `--max-bytes`.\n";
  });
}

}  // namespace pgstage::cli
