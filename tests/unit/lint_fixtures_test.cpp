// Strict SQL fixtures (clang-tidy style): tests/fixtures/lint/*.sql carry their expectations inline.
//
//   ALTER TABLE users DROP COLUMN name;
//   -- expect: dropping-column            (the statement that ends on the line above fires this rule)
//   -- expect: changing-column-type:hint  (optionally with the severity)
//   -- expect-file: uncommitted-transaction   (a finding that belongs to the file, not a statement)
//
// Text before `-- pgstage:history-end` is replayed as history. Directives: `-- fixture: pg_version=10`,
// `-- fixture: transaction=per-file`, `-- fixture: layout=flyway`, `-- fixture: enable=<rule>`, `-- fixture:
// disable=<rule>`. Every finding must be expected and every expectation met; silence is tested as carefully as noise.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/lint_helpers.h"

namespace unit_lint_fixtures_test {

using namespace pgstage;
namespace fs = std::filesystem;

namespace {

struct Expectation {
  int anchor_line;  // the line the statement ends on (0 = file-level)
  int written_at;   // the line of the expect comment
  std::string rule;
  std::string severity;  // empty: any
  bool met = false;
};

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!trim(item).empty()) out.push_back(trim(item));
  return out;
}

// Expectations come from the reviewed part; directives from anywhere in the file.
void parse_fixture(const std::string& text, const std::string& review, std::vector<Expectation>& exps,
                   LintOptions& opts) {
  {
    std::istringstream all(text);
    std::string line;
    while (std::getline(all, line)) {
      std::string t = trim(line);
      if (t.rfind("-- fixture:", 0) != 0) continue;
      std::string d = trim(t.substr(11));
      auto eq = d.find('=');
      REQUIRE_MESSAGE(eq != std::string::npos, "bad fixture directive: " << t);
      std::string k = d.substr(0, eq), v = d.substr(eq + 1);
      if (k == "pg_version")
        opts.settings.pg_version = std::stoi(v);
      else if (k == "transaction")
        opts.settings.transaction = v == "per-file" ? TxMode::PerFile : TxMode::None;
      else if (k == "layout")
        opts.layout = parse_layout(v).value_or(Layout::Auto);
      else if (k == "enable")
        opts.enable.insert(v);
      else if (k == "disable")
        opts.disable.insert(v);
      else
        FAIL("unknown fixture directive: " << t);
    }
  }
  std::istringstream in(review);
  std::string line;
  int n = 0, run_anchor = -1;
  while (std::getline(in, line)) {
    ++n;
    std::string t = trim(line);
    bool is_expect = false;
    if (t.rfind("-- expect:", 0) == 0 || t.rfind("-- expect-file:", 0) == 0) {
      bool file_level = t.rfind("-- expect-file:", 0) == 0;
      if (run_anchor < 0) run_anchor = n - 1;
      for (auto& item : split_commas(t.substr(t.find(':') + 1))) {
        Expectation e{file_level ? 0 : run_anchor, n, item, "", false};
        if (auto colon = item.find(':'); colon != std::string::npos) {
          e.rule = item.substr(0, colon);
          e.severity = item.substr(colon + 1);
        }
        exps.push_back(e);
      }
      is_expect = true;
    }
    if (!is_expect) run_anchor = -1;
  }
}

std::vector<fs::path> fixture_files() {
  std::vector<fs::path> out;
  fs::path dir = fs::path(PGSTAGE_SOURCE_DIR) / "tests" / "fixtures" / "lint";
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".sql") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Lints one fixture and returns every mismatch between its findings and its expectations.
std::vector<std::string> fixture_problems(const std::string& name, const std::string& text) {
  std::vector<std::string> problems;
  auto [history, review] = test::split_history(text);
  std::vector<Expectation> exps;
  LintOptions opts;
  parse_fixture(text, review, exps, opts);
  LintResult r = test::lint_text(text, opts, name);
  for (auto& e : r.errors) problems.push_back(name + ": " + e);
  int history_lines = int(std::count(history.begin(), history.end(), '\n')) + (history.empty() ? 0 : 1);
  for (auto& f : r.findings) {
    int anchor = f.statement_index >= 0 ? r.statements[size_t(f.statement_index)].stop.line : 0;
    std::string sev(severity_name(f.severity));
    auto it = std::find_if(exps.begin(), exps.end(), [&](const Expectation& e) {
      return !e.met && e.anchor_line == anchor && e.rule == f.rule && (e.severity.empty() || e.severity == sev);
    });
    if (it != exps.end()) {
      it->met = true;
      continue;
    }
    problems.push_back("unexpected finding " + name + ":" + std::to_string(f.start.line + history_lines) + ": " +
                       f.rule + " (" + sev + "): " + f.message);
  }
  for (auto& e : exps)
    if (!e.met)
      problems.push_back("expectation not met " + name + ":" + std::to_string(e.written_at + history_lines) + ": " +
                         e.rule + (e.severity.empty() ? "" : ":" + e.severity) +
                         " on the statement ending on the line above");
  return problems;
}

}  // namespace

TEST_CASE("lint fixtures: every finding expected, every expectation met") {
  auto files = fixture_files();
  REQUIRE(files.size() >= 10);
  for (auto& path : files) {
    std::string name = path.filename().string();
    SUBCASE(name.c_str()) {
      std::ifstream in(path);
      std::stringstream ss;
      ss << in.rdbuf();
      for (auto& p : fixture_problems(name, ss.str())) FAIL_CHECK(p);
    }
  }
}

TEST_CASE("the fixture harness fails on unexpected findings, unmet and misplaced expectations") {
  const std::string history = "CREATE TABLE t (id int, a text);\n-- pgstage:history-end\n";
  CHECK(fixture_problems(
            "ok.sql", history + "SET lock_timeout = '1s'; ALTER TABLE t DROP COLUMN a;\n-- expect: dropping-column\n")
            .empty());
  auto unexpected = fixture_problems("u.sql", history + "SET lock_timeout = '1s'; ALTER TABLE t DROP COLUMN a;\n");
  REQUIRE(unexpected.size() == 1);
  CHECK(unexpected[0].find("unexpected finding u.sql:3: dropping-column") == 0);
  auto unmet = fixture_problems(
      "m.sql", history + "SET lock_timeout = '1s'; ALTER TABLE t ADD COLUMN b text;\n-- expect: dropping-column\n");
  REQUIRE(unmet.size() == 1);
  CHECK(unmet[0].find("expectation not met m.sql:4: dropping-column") == 0);
  auto misplaced = fixture_problems("p.sql", history +
                                                 "SET lock_timeout = '1s'; ALTER TABLE t DROP COLUMN a;\nALTER TABLE t "
                                                 "ADD COLUMN b text;\n-- expect: dropping-column\n");
  CHECK(misplaced.size() == 2);
  auto severity = fixture_problems(
      "s.sql", history + "SET lock_timeout = '1s'; ALTER TABLE t DROP COLUMN a;\n-- expect: dropping-column:hint\n");
  CHECK(severity.size() == 2);
}

}  // namespace unit_lint_fixtures_test
