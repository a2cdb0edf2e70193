// Every registered rule is documented, and its documented examples behave as documented.
#include <doctest/doctest.h>

#include <filesystem>

#include "rules/registry.h"
#include "tests/support/lint_helpers.h"

namespace unit_rules_registry_test {

using namespace pgstage;

TEST_CASE("registry is sorted, ids unique, one file per rule") {
  const auto& all = rules::all();
  REQUIRE(!all.empty());
  for (size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1]->id < all[i]->id);
  for (const Rule* r : all) {
    std::string file = std::string(PGSTAGE_SOURCE_DIR) + "/rules/" + std::string(r->id) + ".cpp";
    INFO("rule " << r->id);
    CHECK(std::filesystem::exists(file));
    CHECK(rules::find(r->id) == r);
  }
}

TEST_CASE("every rule has documentation and examples") {
  for (const Rule* r : rules::all()) {
    INFO("rule " << r->id);
    CHECK(!r->summary.empty());
    CHECK(!r->why.empty());
    CHECK(!r->lock.empty());
    CHECK(!r->instead.empty());
    CHECK(!r->bad.empty());
    CHECK(!r->good.empty());
    CHECK((r->check != nullptr || r->check_file_end != nullptr || r->id == "unused-ignore"));
  }
}

TEST_CASE("each rule's bad example fires it and its good example does not") {
  for (const Rule* r : rules::all()) {
    std::string id(r->id);
    LintOptions opts;
    opts.enable.insert(id);
    SUBCASE(id.c_str()) {
      INFO("bad example of " << id << ":\n" << r->bad);
      auto bad = test::lint_text(std::string(r->bad), opts);
      CHECK_MESSAGE(!test::findings_of(bad, id).empty(), "bad example did not fire");
      INFO("good example of " << id << ":\n" << r->good);
      auto good = test::lint_text(std::string(r->good), opts);
      CHECK_MESSAGE(test::findings_of(good, id).empty(), "good example fired");
    }
  }
}

}  // namespace unit_rules_registry_test
