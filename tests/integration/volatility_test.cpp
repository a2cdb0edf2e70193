// The generated built-in volatility table (scripts/gen-volatility.sh) against pg_proc of the
// test cluster. The table comes from one Postgres 15 minor release and the cluster may run another
// (a minor release can add or drop a pg_catalog function), so the test compares the functions both
// sides know, fails on any disagreement about their volatility, and names the functions only one
// side knows (a few are expected across minor releases; many mean the table or the server is wrong).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <vector>

#include "analyzer/volatility.h"
#include "tests/support/pg_cluster.h"

namespace integration_volatility_test {

namespace {

char letter(pgstage::Volatility v) {
  return v == pgstage::Volatility::Immutable ? 'i' : v == pgstage::Volatility::Stable ? 's' : 'v';
}

struct Comparison {
  size_t common = 0;
  std::vector<std::string> disagree;     // "name: table says s, server says v"
  std::vector<std::string> only_server;  // added in the server's release (or missing from the table)
  std::vector<std::string> only_table;   // dropped in the server's release (or a stale table)
};

// Both inputs map a function name to its strongest provolatile letter (v > s > i).
Comparison compare(const std::map<std::string, char>& table, const std::map<std::string, char>& server) {
  Comparison c;
  auto t = table.begin();
  auto s = server.begin();
  while (t != table.end() || s != server.end()) {
    if (s == server.end() || (t != table.end() && t->first < s->first)) {
      c.only_table.push_back(t->first);
      ++t;
    } else if (t == table.end() || s->first < t->first) {
      c.only_server.push_back(s->first);
      ++s;
    } else {
      ++c.common;
      if (t->second != s->second)
        c.disagree.push_back(t->first + ": table says " + t->second + ", server says " + s->second);
      ++t;
      ++s;
    }
  }
  return c;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

std::map<std::string, char> table_functions() {
  std::map<std::string, char> out;
  for (const auto& f : pgstage::builtin_functions()) out.emplace(std::string(f.name), letter(f.volatility));
  return out;
}

std::string table_source_line() {
  std::ifstream in(PGSTAGE_SOURCE_DIR "/analyzer/builtin_volatility.inc");
  std::string line;
  std::getline(in, line);
  return line;
}

// A minor release adds or drops a handful of functions at most; more means the wrong table.
constexpr size_t kMaxOneSided = 10;

}  // namespace

TEST_CASE("builtin volatility matches pg_proc.provolatile of the test cluster (any 15.x)") {
  auto& pg = pgstage::test::PgCluster::shared();
  REQUIRE(pg.ok());
  pqxx::connection c(pg.url());
  pqxx::work tx(c);
  auto version = tx.exec1("SELECT current_setting('server_version'), current_setting('server_version_num')::int");
  REQUIRE_MESSAGE(version[1].as<int>() / 10000 == 15,
                  "the table is for Postgres 15; the cluster runs " << version[0].as<std::string>());
  auto rows = tx.exec(
      "SELECT proname, CASE WHEN bool_or(provolatile = 'v') THEN 'v' WHEN bool_or(provolatile = 's') THEN 's' "
      "ELSE 'i' END FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace GROUP BY proname");
  std::map<std::string, char> server;
  for (const auto& r : rows) server.emplace(r[0].as<std::string>(), r[1].as<std::string>()[0]);

  auto table = table_functions();
  REQUIRE(table.size() == pgstage::builtin_function_count());
  auto cmp = compare(table, server);
  MESSAGE("table: " << table_source_line() << "\nserver: PostgreSQL " << version[0].as<std::string>() << "\n"
                    << cmp.common << " functions in common; only on the server (" << cmp.only_server.size()
                    << "): " << join(cmp.only_server) << "; only in the table (" << cmp.only_table.size()
                    << "): " << join(cmp.only_table));
  CHECK(cmp.common > 2000);
  for (const auto& d : cmp.disagree) FAIL_CHECK("volatility differs: " << d);
  CHECK(cmp.disagree.empty());
  CHECK_MESSAGE(cmp.only_server.size() <= kMaxOneSided, "only on the server: " << join(cmp.only_server));
  CHECK_MESSAGE(cmp.only_table.size() <= kMaxOneSided, "only in the table: " << join(cmp.only_table));
  // A function the table does not know is unknown to the analyzer, which counts it as volatile.
  for (const auto& name : cmp.only_server) CHECK(!pgstage::builtin_volatility(name));

  // The facts the rules depend on.
  CHECK(pgstage::builtin_volatility("now") == pgstage::Volatility::Stable);
  CHECK(pgstage::builtin_volatility("random") == pgstage::Volatility::Volatile);
  CHECK(pgstage::builtin_volatility("gen_random_uuid") == pgstage::Volatility::Volatile);
}

TEST_CASE("the volatility comparison names disagreements and one-sided functions") {
  std::map<std::string, char> table{{"a", 'i'}, {"b", 's'}, {"c", 'v'}, {"old_fn", 'i'}};
  std::map<std::string, char> server{{"a", 'i'}, {"b", 'v'}, {"c", 'v'}, {"new_fn", 's'}};
  auto cmp = compare(table, server);
  CHECK(cmp.common == 3);
  REQUIRE(cmp.disagree.size() == 1);
  CHECK(cmp.disagree[0] == "b: table says s, server says v");
  CHECK(cmp.only_server == std::vector<std::string>{"new_fn"});
  CHECK(cmp.only_table == std::vector<std::string>{"old_fn"});

  // The real table compared with itself agrees entirely.
  auto real = table_functions();
  auto self = compare(real, real);
  CHECK(self.common == real.size());
  CHECK(self.disagree.empty());
  CHECK(self.only_server.empty());
  CHECK(self.only_table.empty());
}

}  // namespace integration_volatility_test
