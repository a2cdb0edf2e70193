// `--format markdown` (a pull-request comment) on real lint and plan results: the per-file table,
// findings with collapsed help, the plan's phases, escaping of what comes from the input, and
// truncation at a whole entry under the size limit.
#include <doctest/doctest.h>

#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "cli/report.h"
#include "tests/support/cli_run.h"
#include "tests/support/lint_helpers.h"
#include "tests/support/plan_helpers.h"

namespace unit_report_markdown_test {

using namespace pgstage;
using pgstage::test::findings_of;
using pgstage::test::lint_text;

namespace {

size_t count(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (size_t i = s.find(part); i != std::string::npos; i = s.find(part, i + part.size())) ++n;
  return n;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t eol = s.find('\n', pos);
    if (eol == std::string::npos) eol = s.size();
    out.push_back(s.substr(pos, eol - pos));
    pos = eol + 1;
  }
  return out;
}

// Cell separators of a table row: pipes not escaped with a backslash.
size_t unescaped_pipes(const std::string& line) {
  size_t n = 0;
  for (size_t i = 0; i < line.size(); ++i)
    if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++n;
  return n;
}

// `line` without its code spans (a run of N backticks up to the next run of exactly N; a backslash-
// escaped backtick opens nothing): what is left is read as Markdown and HTML.
std::string without_code_spans(const std::string& line) {
  std::string out;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      out += line.substr(i, 2);
      i += 2;
      continue;
    }
    if (line[i] != '`') {
      out += line[i++];
      continue;
    }
    size_t n =
        line.find_first_not_of('`', i) == std::string::npos ? line.size() - i : line.find_first_not_of('`', i) - i;
    size_t close = std::string::npos;
    for (size_t j = i + n; j < line.size();) {
      if (line[j] != '`') {
        ++j;
        continue;
      }
      size_t m =
          line.find_first_not_of('`', j) == std::string::npos ? line.size() - j : line.find_first_not_of('`', j) - j;
      if (m == n) {
        close = j;
        break;
      }
      j += m;
    }
    if (close == std::string::npos) {
      out += line.substr(i, n);
      i += n;
    } else {
      i = close + n;
    }
  }
  return out;
}

// Every table row has the header's number of cells; <details> and code fences are balanced.
void check_structure(const std::string& md) {
  CHECK(count(md, "<details>") == count(md, "</details>"));
  std::optional<size_t> cells;
  size_t fence_open = 0;
  std::string fence;
  for (auto& l : lines(md)) {
    if (fence.empty() && l.starts_with("```")) {
      fence = l.substr(0, l.find_first_not_of('`'));
      ++fence_open;
      continue;
    }
    if (!fence.empty()) {
      if (l == fence) fence.clear();
      continue;
    }
    if (l.starts_with("| ")) {
      if (!cells) cells = unescaped_pipes(l);
      INFO(l);
      CHECK(unescaped_pipes(l) == *cells);
    } else {
      cells.reset();
    }
  }
  CHECK(fence.empty());  // every fence closed
}

const char* kUnsafe =
    "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n"
    "-- pgstage:history-end\n"
    "ALTER TABLE users ADD COLUMN email text NOT NULL;\n"
    "CREATE INDEX users_name ON users (name);\n";

}  // namespace

TEST_CASE("markdown lint report: a table per file and each finding with its help collapsed") {
  LintResult r = lint_text(kUnsafe, {}, "db/migrations/002_email.sql");
  REQUIRE(r.findings.size() >= 2);
  REQUIRE(r.statements.size() == 2);
  std::string md = cli::render_markdown(r, {});
  INFO(md);
  CHECK(md.starts_with("## pgstage lint: "));
  CHECK(md.find(std::to_string(r.count(Severity::Error)) + " error") != std::string::npos);
  CHECK(md.find(":x: Fails at `error`") != std::string::npos);
  CHECK(md.find("### `db/migrations/002_email.sql`") != std::string::npos);
  CHECK(md.find("| Statement | Kind | Lock | Rewrite / scan | Errors | Warnings | Hints |") != std::string::npos);
  // One row per statement, at its position, with its lock and the findings it has.
  for (auto& s : r.statements) {
    std::string row =
        "| " + std::to_string(s.start.line) + ":" + std::to_string(s.start.column) + " | `" + s.kind + "` | ";
    CHECK(md.find(row) != std::string::npos);
  }
  CHECK(md.find("ACCESS EXCLUSIVE on `users`") != std::string::npos);  // ADD COLUMN
  CHECK(md.find("SHARE on `users`") != std::string::npos);             // CREATE INDEX
  for (auto& f : r.findings) {
    CHECK(md.find("`" + f.rule + "` at `db/migrations/002_email.sql:" + std::to_string(f.start.line) + ":") !=
          std::string::npos);
    if (!f.help.empty()) CHECK(md.find("<details><summary>How to fix " + f.rule + "</summary>") != std::string::npos);
  }
  size_t with_help = 0;
  for (auto& f : r.findings) with_help += !f.help.empty();
  CHECK(count(md, "<details>") == with_help);
  CHECK(md.find("Truncated") == std::string::npos);
  check_structure(md);
}

TEST_CASE("markdown lint report: a clean run says so") {
  LintResult r = lint_text("CREATE TABLE t (id bigint PRIMARY KEY);\n", {}, "001.sql");
  std::string md = cli::render_markdown(r, {});
  CHECK(md.starts_with("## pgstage lint: 0 errors, 0 warnings"));
  CHECK(md.find(":white_check_mark: Nothing at or above `error`") != std::string::npos);
  CHECK(md.find("<details>") == std::string::npos);
  check_structure(md);
}

TEST_CASE("markdown lint report: pipes, backticks and HTML from the input are escaped") {
  // A table and a file whose names hold every character that could break the comment.
  const std::string sql =
      "CREATE TABLE \"we|ird`t<b>\" (id bigint PRIMARY KEY);\n"
      "-- pgstage:history-end\n"
      "ALTER TABLE \"we|ird`t<b>\" ADD COLUMN \"c|<i>`\" text NOT NULL;\n";
  LintResult r = lint_text(sql, {}, "db/a|b`c<script>.sql");
  REQUIRE_FALSE(r.findings.empty());
  std::string md = cli::render_markdown(r, {});
  INFO(md);
  // The file name in the heading: a code span whose fence is longer than its backticks.
  CHECK(md.find("### ``db/a|b`c<script>.sql``") != std::string::npos);
  // In the table the pipe inside the code span is escaped, so the row keeps its 8 separators.
  CHECK(md.find("ACCESS EXCLUSIVE on ``we\\|ird`t<b>``") != std::string::npos);
  check_structure(md);
  // Outside code spans no raw HTML survives: a message naming the column gets entities.
  bool message_checked = false;
  for (auto& f : r.findings)
    if (f.message.find("<i>") != std::string::npos) {
      CHECK(md.find("&lt;i&gt;") != std::string::npos);
      message_checked = true;
    }
  CHECK(message_checked);
  // Code spans hold names literally (HTML is not interpreted in them); outside them no raw `<` is
  // left, on any line but the <details> tags the report writes itself.
  for (auto& l : lines(md)) {
    if (l.starts_with("<details><summary>How to fix ") || l == "</details>") continue;
    INFO(l);
    CHECK(without_code_spans(l).find('<') == std::string::npos);
  }
}

TEST_CASE("markdown lint report: past --max-bytes it stops at a whole entry and counts what it left out") {
  std::string sql = "CREATE TABLE big (id bigint PRIMARY KEY, a int);\n-- pgstage:history-end\n";
  for (int i = 0; i < 200; ++i) sql += "CREATE INDEX big_a_" + std::to_string(i) + " ON big (a);\n";
  LintResult r = lint_text(sql, {}, "db/002_indexes.sql");
  REQUIRE(r.findings.size() >= 200);
  cli::ReportOptions o;
  o.max_bytes = 10'000'000;
  std::string full = cli::render_markdown(r, o);
  REQUIRE(full.size() > 8000);
  CHECK(full.find("Truncated") == std::string::npos);

  o.max_bytes = 8000;
  std::string md = cli::render_markdown(r, o);
  INFO(md);
  CHECK(md.size() <= o.max_bytes);
  CHECK(md.starts_with("## pgstage lint: "));  // the summary is always there
  std::smatch m;
  REQUIRE(std::regex_search(
      md, m,
      std::regex(
          R"(\*\*Truncated:\*\* (\d+) findings? and (\d+) statement rows? \(in 1 file\) not shown, to keep this comment under 8000 bytes)")));
  size_t left_findings = std::stoul(m[1]), left_rows = std::stoul(m[2]);
  size_t shown_findings = count(md, "` at `db/002_indexes.sql:");
  size_t shown_rows = count(md, " | `IndexStmt` | ");
  CHECK(shown_findings + left_findings == r.findings.size());
  CHECK(shown_rows + left_rows == r.statements.size());
  CHECK(shown_findings > 0);  // findings are kept before table rows
  CHECK(md.find("raise `--max-bytes`") != std::string::npos);
  // Whole entries only: every <details> that opened closed, every table row is complete.
  check_structure(md);
  CHECK(md.find("\n> **Truncated:**") != std::string::npos);  // after a blank line: not a table row
}

TEST_CASE("markdown plan report: phases, steps and their SQL in collapsed blocks") {
  auto pr = test::plan_text(
      "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n"
      "-- pgstage:history-end\n"
      "ALTER TABLE users ADD COLUMN note text NOT NULL DEFAULT '```|<x>';\n"
      "CREATE INDEX users_name ON users (name);\n",
      "db/003_note.sql");
  REQUIRE_MESSAGE(pr.ok, pr.error);
  const planner::Plan& p = pr.plan;
  REQUIRE_FALSE(p.steps.empty());
  std::string md = cli::render_plan_markdown(p, {}, {});
  INFO(md);
  CHECK(md.starts_with("## pgstage plan: `db/003_note.sql`"));
  CHECK(md.find("| Phase | Steps | Runs | Releases running |") != std::string::npos);
  for (auto& info : p.phases)
    CHECK(md.find(": " + std::string(planner::phase_name(info.phase)) + "\n") != std::string::npos);
  for (auto& s : p.steps) CHECK(md.find("**`" + s.id + "`**") != std::string::npos);
  CHECK(count(md, "<details><summary>SQL") == p.steps.size());
  // The SQL holds three backticks: its fence is four, so it cannot close early.
  CHECK(md.find("````sql\n") != std::string::npos);
  CHECK(md.find("CONCURRENTLY") != std::string::npos);  // the index step's SQL, verbatim
  check_structure(md);

  // Truncated at a whole step.
  cli::ReportOptions o;
  o.max_bytes = md.size() - 10;
  std::string cut = cli::render_plan_markdown(p, {}, o);
  CHECK(cut.size() <= o.max_bytes);
  CHECK(cut.find("**Truncated:** ") != std::string::npos);
  CHECK(cut.find("not shown, to keep this comment under " + std::to_string(o.max_bytes) + " bytes") !=
        std::string::npos);
  check_structure(cut);
}

TEST_CASE("markdown from the command line: lint and plan") {
  test::TempDir d;
  auto [history, review] = test::split_history(kUnsafe);
  d.write("m/001_users.sql", history);
  d.write("m/002_email.sql", review);
  auto lint = test::run_pgstage({"lint", "--no-config", "--format", "markdown", d.path() + "/m"});
  CHECK(lint.exit_code == 1);  // errors: the exit code does not depend on the format
  CHECK(lint.out.starts_with("## pgstage lint: "));
  CHECK(lint.out.find("002_email.sql`") != std::string::npos);
  check_structure(lint.out);

  auto small =
      test::run_pgstage({"lint", "--no-config", "--format", "markdown", "--max-bytes", "1024", d.path() + "/m"});
  CHECK(small.out.size() <= 1024);
  CHECK(small.out.find("**Truncated:**") != std::string::npos);
  auto bad = test::run_pgstage({"lint", "--no-config", "--format", "markdown", "--max-bytes", "10", d.path() + "/m"});
  CHECK(bad.exit_code == 2);

  d.write("p/001_users.sql", history);
  std::string fill = d.write("p/002_email.sql", "-- pgstage:fill ''\n" + review);
  auto plan = test::run_pgstage({"plan", "--format", "markdown", fill});
  CHECK(plan.exit_code == 0);
  CHECK(plan.out.starts_with("## pgstage plan: "));
  CHECK(plan.out.find("### Phase 1: expand") != std::string::npos);
  check_structure(plan.out);

  // An unsafe finding no recipe stages is listed first, and the exit code says so.
  std::string trunc = d.write("p/003_truncate.sql", "TRUNCATE users;\n");
  auto t = test::run_pgstage({"plan", "--format", "markdown", trunc});
  CHECK(t.exit_code == 1);
  CHECK(t.out.find("### :warning: No recipe stages these: they run as written in expand\n\n:x: **error** "
                   "`truncate-table` at `") != std::string::npos);
  CHECK(t.out.find("### :warning:") < t.out.find("### Phase 1: expand"));
  check_structure(t.out);
}

}  // namespace unit_report_markdown_test
