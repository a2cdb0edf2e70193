// Ignore comments: `-- pgstage:ignore rule -- reason` (one statement), `-- pgstage:ignore-file rule`,
// and the unused-ignore findings for comments that suppress nothing or are malformed.
#include <doctest/doctest.h>

#include "tests/support/lint_helpers.h"

namespace unit_ignore_comments_test {

using namespace pgstage;
using test::findings_of;
using test::lint_text;

namespace {

const std::string kUsers = "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\n";
const std::string kUnsafe = "ALTER TABLE users ADD COLUMN email text NOT NULL;";
const std::string kUnsafe2 = "ALTER TABLE users ADD COLUMN phone text NOT NULL;";
const char* kRule = "adding-required-column";

}  // namespace

TEST_CASE("without an ignore comment the finding is reported (baseline)") {
  auto r = lint_text(kUsers + kUnsafe + "\n");
  CHECK(findings_of(r, kRule).size() == 1);
  CHECK(findings_of(r, "unused-ignore").empty());
}

TEST_CASE("a line ignore suppresses the named rule on the next statement only") {
  auto r = lint_text(kUsers + "-- pgstage:ignore adding-required-column -- backfilled by job 42\n" + kUnsafe + "\n" +
                     kUnsafe2 + "\n");
  auto f = findings_of(r, kRule);
  REQUIRE(f.size() == 1);
  CHECK(f[0].start.line == 3);  // the second ALTER (line 1 is the ignore in the reviewed text)
  CHECK(findings_of(r, "unused-ignore").empty());
}

TEST_CASE("an ignore for another rule does not suppress, and is reported as unused") {
  auto r = lint_text(kUsers + "-- pgstage:ignore syntax-error\n" + kUnsafe + "\n");
  CHECK(findings_of(r, kRule).size() == 1);
  auto u = findings_of(r, "unused-ignore");
  REQUIRE(u.size() == 1);
  CHECK(u[0].start.line == 1);
  CHECK(u[0].start.column == 1);
  CHECK(u[0].message.find("`syntax-error` suppressed nothing") != std::string::npos);
}

TEST_CASE("several rules separated by commas; only the unused one is reported") {
  auto r = lint_text(kUsers + "\n\n-- pgstage:ignore syntax-error, adding-required-column -- why\n" + kUnsafe + "\n");
  CHECK(findings_of(r, kRule).empty());
  auto u = findings_of(r, "unused-ignore");
  REQUIRE(u.size() == 1);
  CHECK(u[0].start.line == 3);
  CHECK(u[0].message.find("syntax-error") != std::string::npos);
  CHECK(u[0].message.find(kRule) == std::string::npos);
}

TEST_CASE("an ignore-file comment suppresses the rule in the whole file, wherever it stands") {
  auto r = lint_text(kUsers + kUnsafe + "\n" + kUnsafe2 + "\n-- pgstage:ignore-file adding-required-column\n");
  CHECK(findings_of(r, kRule).empty());
  CHECK(findings_of(r, "unused-ignore").empty());
}

TEST_CASE("an unused ignore-file comment is reported") {
  auto r = lint_text(kUsers + "-- pgstage:ignore-file adding-required-column\nSELECT 1;\n");
  auto u = findings_of(r, "unused-ignore");
  REQUIRE(u.size() == 1);
  CHECK(u[0].start.line == 1);
}

TEST_CASE("block comments work, on the statement's line and with * decorations") {
  SUBCASE("inline before the statement") {
    auto r = lint_text(kUsers + "/* pgstage:ignore adding-required-column -- reason */ " + kUnsafe + "\n");
    CHECK(findings_of(r, kRule).empty());
    CHECK(findings_of(r, "unused-ignore").empty());
  }
  SUBCASE("multi-line with leading stars") {
    auto r = lint_text(kUsers +
                       "/*\n * pgstage:ignore adding-required-column\n * -- the column is filled by a trigger\n */\n" +
                       kUnsafe + "\n");
    CHECK(findings_of(r, kRule).empty());
    CHECK(findings_of(r, "unused-ignore").empty());
  }
  SUBCASE("block ignore-file") {
    auto r =
        lint_text(kUsers + "/* pgstage:ignore-file adding-required-column */\n" + kUnsafe + "\n" + kUnsafe2 + "\n");
    CHECK(findings_of(r, kRule).empty());
  }
}

TEST_CASE("a bare pgstage:ignore is an error and suppresses nothing") {
  for (std::string c : {"-- pgstage:ignore\n", "-- pgstage:ignore -- just because\n", "/* pgstage:ignore */\n",
                        "-- pgstage:ignore-file\n"}) {
    INFO(c);
    auto r = lint_text(kUsers + c + kUnsafe + "\n");
    CHECK(findings_of(r, kRule).size() == 1);
    auto u = findings_of(r, "unused-ignore");
    REQUIRE(u.size() == 1);
    CHECK(u[0].severity == Severity::Error);
    CHECK(u[0].message.find("names no rule") != std::string::npos);
    CHECK(u[0].start.line == 1);
  }
}

TEST_CASE("a bare ignore is an error even with unused-ignore disabled") {
  LintOptions o;
  o.disable.insert("unused-ignore");
  auto r = lint_text(kUsers + "-- pgstage:ignore\n" + kUnsafe + "\n", o);
  CHECK(findings_of(r, "unused-ignore").size() == 1);
}

TEST_CASE("an unknown rule id is reported; the reason must be separated by --") {
  SUBCASE("misspelt id") {
    auto r = lint_text(kUsers + "-- pgstage:ignore adding-required-colum\n" + kUnsafe + "\n");
    CHECK(findings_of(r, kRule).size() == 1);
    auto u = findings_of(r, "unused-ignore");
    REQUIRE(u.size() == 1);
    CHECK(u[0].message.find("unknown rule `adding-required-colum`") != std::string::npos);
  }
  SUBCASE("reason without --") {
    auto r = lint_text(kUsers + "-- pgstage:ignore adding-required-column because\n" + kUnsafe + "\n");
    CHECK(findings_of(r, kRule).empty());
    auto u = findings_of(r, "unused-ignore");
    REQUIRE(u.size() == 1);
    CHECK(u[0].message.find("unknown rule `because`") != std::string::npos);
  }
}

TEST_CASE("an unknown directive such as pgstage:ignore-line is an error") {
  auto r = lint_text(kUsers + "-- pgstage:ignore-line adding-required-column\n" + kUnsafe + "\n");
  CHECK(findings_of(r, kRule).size() == 1);
  auto u = findings_of(r, "unused-ignore");
  REQUIRE(u.size() == 1);
  CHECK(u[0].severity == Severity::Error);
  CHECK(u[0].message.find("unknown directive `pgstage:ignore-line`") != std::string::npos);
}

TEST_CASE("comments that merely mention pgstage:ignore are not directives") {
  auto r = lint_text(kUsers + "-- see the docs about pgstage:ignore adding-required-column\n" + kUnsafe + "\n");
  CHECK(findings_of(r, kRule).size() == 1);
  CHECK(findings_of(r, "unused-ignore").empty());
}

TEST_CASE("an ignore with no statement after it is unused") {
  auto r = lint_text(kUsers + kUnsafe + "\n-- pgstage:ignore adding-required-column\n");
  CHECK(findings_of(r, kRule).size() == 1);
  auto u = findings_of(r, "unused-ignore");
  REQUIRE(u.size() == 1);
  CHECK(u[0].start.line == 2);
  CHECK(u[0].message.find("no statement follows it") != std::string::npos);
}

TEST_CASE("a trailing ignore on the statement's own line applies to that statement") {
  auto r = lint_text(kUsers + kUnsafe + " -- pgstage:ignore adding-required-column\n" + kUnsafe2 + "\n");
  auto f = findings_of(r, kRule);
  REQUIRE(f.size() == 1);
  CHECK(f[0].start.line == 2);
  CHECK(findings_of(r, "unused-ignore").empty());
}

TEST_CASE("an ignore inside a statement applies to that statement") {
  auto r = lint_text(
      kUsers + "ALTER TABLE users\n  -- pgstage:ignore adding-required-column\n  ADD COLUMN email text NOT NULL;\n" +
      kUnsafe2 + "\n");
  auto f = findings_of(r, kRule);
  REQUIRE(f.size() == 1);
  CHECK(f[0].start.line == 4);
}

TEST_CASE("ignoring a rule that is turned off is not reported as unused") {
  LintOptions o;
  o.disable.insert(kRule);
  auto r = lint_text(kUsers + "-- pgstage:ignore adding-required-column\n" + kUnsafe + "\n", o);
  CHECK(findings_of(r, kRule).empty());
  CHECK(findings_of(r, "unused-ignore").empty());
}

TEST_CASE("disabling unused-ignore silences unused ignores") {
  LintOptions o;
  o.disable.insert("unused-ignore");
  auto r = lint_text(kUsers + "-- pgstage:ignore syntax-error\n" + kUnsafe + "\n", o);
  CHECK(findings_of(r, "unused-ignore").empty());
}

TEST_CASE("pgstage:ignore-file unused-ignore silences the file's unused ignores") {
  auto r =
      lint_text(kUsers + "-- pgstage:ignore-file unused-ignore\n-- pgstage:ignore syntax-error\n" + kUnsafe + "\n");
  CHECK(findings_of(r, "unused-ignore").empty());
  CHECK(findings_of(r, kRule).size() == 1);
}

TEST_CASE("`all` suppresses every rule on the statement") {
  auto r = lint_text(kUsers + "-- pgstage:ignore all -- legacy\n" + kUnsafe + "\n" + kUnsafe2 + "\n");
  CHECK(findings_of(r, kRule).size() == 1);
  CHECK(findings_of(r, "unused-ignore").empty());
}

TEST_CASE("a syntax error can be ignored, and the rest of the file is still linted") {
  auto r = lint_text(kUsers + "-- pgstage:ignore syntax-error -- vendor extension\nALTER TABLE users FROBNICATE;\n" +
                     kUnsafe + "\n");
  CHECK(findings_of(r, "syntax-error").empty());
  CHECK(findings_of(r, kRule).size() == 1);
  CHECK(findings_of(r, "unused-ignore").empty());
}

TEST_CASE("the unused-ignore finding covers the comment and has a stable fingerprint") {
  std::string sql = kUsers + "SELECT 1;\n  -- pgstage:ignore syntax-error\nSELECT 2;\n";
  auto a = findings_of(lint_text(sql), "unused-ignore");
  auto b = findings_of(lint_text(sql), "unused-ignore");
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(a[0].start.line == 2);
  CHECK(a[0].start.column == 3);
  CHECK(a[0].stop.line == 2);
  CHECK(a[0].stop.column == 33);  // exclusive: just past the comment
  CHECK(!a[0].fingerprint.empty());
  CHECK(a[0].fingerprint == b[0].fingerprint);
}

TEST_CASE("a configured severity applies to unused-ignore") {
  LintOptions o;
  o.severity["unused-ignore"] = Severity::Error;
  auto u = findings_of(lint_text(kUsers + "-- pgstage:ignore syntax-error\nSELECT 1;\n", o), "unused-ignore");
  REQUIRE(u.size() == 1);
  CHECK(u[0].severity == Severity::Error);
}

}  // namespace unit_ignore_comments_test
