// Options that take a list (--enable, --disable, --large-table, --exclude, --history) take one value
// per occurrence, so the migration path that follows them is never read as a rule id.
#include <doctest/doctest.h>

#include "tests/support/cli_run.h"

namespace unit_lint_cli_options_test {

using namespace pgstage;

TEST_CASE("lint --enable RULE FILE: the option takes one value, the file is linted") {
  test::TempDir d;
  d.write("001_init.sql", "CREATE TABLE t (id bigint PRIMARY KEY, name varchar(20));\n");
  auto r = test::run_pgstage({"lint", "--enable", "prefer-text", "001_init.sql"}, d.path());
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.err.find("unknown rule") == std::string::npos);
  CHECK(r.out.find("prefer-text") != std::string::npos);

  // Comma-separated lists and repetition both work.
  auto many = test::run_pgstage(
      {"lint", "--disable", "prefer-text,prefer-bigint", "--disable", "prefer-identity", "001_init.sql"}, d.path());
  CHECK_MESSAGE(many.exit_code == 0, many.err);
  CHECK(many.out.find("prefer-text") == std::string::npos);
  CHECK(many.out.find("prefer-bigint") == std::string::npos);
  CHECK(many.out.find("prefer-identity") == std::string::npos);

  // An unknown rule is still an error, naming the rule (not the file).
  auto bad = test::run_pgstage({"lint", "--enable", "no-such-rule", "001_init.sql"}, d.path());
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("no-such-rule") != std::string::npos);
  CHECK(bad.err.find("001_init.sql") == std::string::npos);
}

}  // namespace unit_lint_cli_options_test
