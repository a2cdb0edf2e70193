// The streaming JSON writer must write what nlohmann::json::dump() writes (the report's format was
// defined by it): string escaping at every position of its 16- and 8-byte fast paths, invalid
// UTF-8, nesting, empty containers, pretty and compact layouts.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "cli/json_writer.h"

namespace unit_json_writer_test {

using pgstage::cli::JsonWriter;
using json = nlohmann::ordered_json;

namespace {

std::string written_string(const std::string& s, int indent) {
  std::ostringstream out;
  {
    JsonWriter w(out, indent);
    w.begin_array().value(s).end_array();
  }
  return out.str();
}

std::string dumped_string(const std::string& s, int indent) {
  return json::array({s}).dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

TEST_CASE("JsonWriter: strings escape like nlohmann at every offset of the fast paths") {
  const std::string specials[] = {"\"",           "\\",
                                  "\n",           "\t",
                                  "\r",           "\b",
                                  "\f",           std::string(1, '\0'),
                                  "\x01",         "\x1f",
                                  "\x7f",         "é",
                                  "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                                  "\xFF",         "\xC3",
                                  "\xED\xA0\x80", "\xE0\x80\x80"};
  for (const auto& sp : specials)
    for (size_t pos = 0; pos < 40; ++pos)
      for (size_t tail : {0, 1, 7, 8, 9, 16, 17}) {
        std::string s = std::string(pos, 'a') + sp + std::string(tail, 'b');
        CAPTURE(pos);
        CAPTURE(tail);
        CHECK(written_string(s, 2) == dumped_string(s, 2));
        CHECK(written_string(s, -1) == dumped_string(s, -1));
      }
}

TEST_CASE("JsonWriter: random byte strings match nlohmann's replacement of invalid UTF-8") {
  std::mt19937 rng(7);
  for (int n = 0; n < 2000; ++n) {
    std::string s(rng() % 70, ' ');
    for (auto& c : s) {
      unsigned r = rng() % 10;
      c = r < 6 ? char('a' + rng() % 26) : r < 8 ? char(rng() % 256) : char(rng() % 0x20);
    }
    CAPTURE(n);
    CHECK(written_string(s, 2) == dumped_string(s, 2));
  }
}

TEST_CASE("JsonWriter: documents, pretty and compact") {
  auto write = [](int indent) {
    std::ostringstream out;
    {
      JsonWriter w(out, indent);
      w.begin_object();
      w.member("version", 1);
      w.key("empty_array").begin_array().end_array();
      w.key("empty_object").begin_object().end_object();
      w.key("list").begin_array().value(true).value(nullptr).value(-3).value("x").end_array();
      w.key("nested").begin_object().member("a", false).key("b").begin_array().begin_object().end_object().end_array();
      w.end_object();
      w.end_object();
    }
    return out.str();
  };
  json expected = {{"version", 1},
                   {"empty_array", json::array()},
                   {"empty_object", json::object()},
                   {"list", {true, nullptr, -3, "x"}},
                   {"nested", {{"a", false}, {"b", json::array({json::object()})}}}};
  CHECK(write(2) == expected.dump(2) + "\n");
  CHECK(write(-1) == expected.dump() + "\n");
}

TEST_CASE("JsonWriter: qualified names, and a captured value written again at the same depth") {
  for (int indent : {2, -1}) {
    CAPTURE(indent);
    auto lock = [](JsonWriter& w) {
      w.begin_object()
          .key("tables")
          .begin_array()
          .qualified_value("app", "us\"ers")
          .qualified_value("", "t")
          .end_array();
      w.end_object();
    };
    std::ostringstream direct, replayed;
    {
      JsonWriter w(direct, indent);
      w.begin_array();
      for (int i = 0; i < 2; ++i) {
        w.begin_object().member("n", i).key("lock");
        lock(w);
        w.end_object();
      }
      w.end_array();
    }
    {
      JsonWriter w(replayed, indent);
      w.begin_array();
      w.begin_object().member("n", 0).key("lock");
      std::string bytes = w.captured_value(lock);
      w.end_object();
      w.begin_object().member("n", 1).key("lock").raw_value(bytes).end_object();
      w.end_array();
    }
    CHECK(replayed.str() == direct.str());
    json doc = json::parse(direct.str());
    CHECK(doc[1]["lock"]["tables"] == json::array({"app.us\"ers", "t"}));
  }
}

}  // namespace unit_json_writer_test
