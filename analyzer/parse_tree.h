// Internal to the analyzer: the parse tree behind a Statement, and a small read-only view of
// libpg_query's JSON for lower.cpp (the only reader of the tree).
//
// libpg_query hands its tree over as JSON text; simdjson turns that into a flat tape (one
// allocation per parsed section, shared by the section's statements) instead of a DOM node per
// value. Statements hold the document alive until they have been lowered.
#pragma once

#include <simdjson.h>

#include <memory>
#include <string_view>
#include <utility>

#include "analyzer/parse.h"

namespace pgstage {

// A JSON value of a parse tree, or "absent" (a missing key, a wrong shape). Absent reads as null,
// which is also how libpg_query spells a field left at its default: it omits it.
class JsonView {
 public:
  JsonView() = default;
  explicit JsonView(simdjson::dom::element e) : e_(e), ok_(true) {}

  bool is_object() const { return ok_ && e_.type() == simdjson::dom::element_type::OBJECT; }
  bool is_array() const { return ok_ && e_.type() == simdjson::dom::element_type::ARRAY; }
  bool is_string() const { return ok_ && e_.type() == simdjson::dom::element_type::STRING; }
  bool is_null() const { return !ok_ || e_.type() == simdjson::dom::element_type::NULL_VALUE; }

  // The member `key` of an object (absent when this is not an object or has no such key).
  JsonView operator[](std::string_view key) const {
    if (!is_object()) return {};
    auto r = simdjson::dom::object(e_.get_object().value_unsafe()).at_key(key);
    return r.error() ? JsonView() : JsonView(r.value_unsafe());
  }
  std::string_view string_or(std::string_view dflt = {}) const {
    return is_string() ? e_.get_string().value_unsafe() : dflt;
  }
  bool bool_or(bool dflt = false) const {
    return ok_ && e_.type() == simdjson::dom::element_type::BOOL ? e_.get_bool().value_unsafe() : dflt;
  }
  long long int_or(long long dflt = 0) const {
    if (!ok_) return dflt;
    auto t = e_.type();
    if (t == simdjson::dom::element_type::INT64) return e_.get_int64().value_unsafe();
    if (t == simdjson::dom::element_type::UINT64) return (long long)e_.get_uint64().value_unsafe();
    return dflt;
  }

  // Array elements (none when this is not an array).
  class ArrayRange {
   public:
    class iterator {
     public:
      iterator() = default;
      explicit iterator(simdjson::dom::array::iterator it) : it_(it), valid_(true) {}
      JsonView operator*() const { return JsonView(*it_); }
      iterator& operator++() {
        ++it_;
        return *this;
      }
      bool operator!=(const iterator& o) const { return valid_ && o.valid_ && it_ != o.it_; }

     private:
      simdjson::dom::array::iterator it_;
      bool valid_ = false;
    };
    ArrayRange() = default;
    explicit ArrayRange(simdjson::dom::array a) : a_(a), ok_(true) {}
    iterator begin() const { return ok_ ? iterator(a_.begin()) : iterator(); }
    iterator end() const { return ok_ ? iterator(a_.end()) : iterator(); }
    size_t size() const { return ok_ ? a_.size() : 0; }
    bool empty() const { return size() == 0; }
    JsonView operator[](size_t i) const {
      if (!ok_) return {};
      auto r = a_.at(i);
      return r.error() ? JsonView() : JsonView(r.value_unsafe());
    }

   private:
    simdjson::dom::array a_;
    bool ok_ = false;
  };
  ArrayRange elements() const { return is_array() ? ArrayRange(e_.get_array().value_unsafe()) : ArrayRange(); }

  // Object members as (key, value) pairs, in document order (none when this is not an object).
  template <class F>
  void for_each_member(F&& f) const {
    if (!is_object()) return;
    for (auto kv : simdjson::dom::object(e_.get_object().value_unsafe())) f(kv.key, JsonView(kv.value));
  }
  // The single key of a node wrapper {"TypeName": {...}} and its body; ("", absent) otherwise.
  std::pair<std::string_view, JsonView> single_member() const {
    if (!is_object()) return {};
    auto obj = simdjson::dom::object(e_.get_object().value_unsafe());
    if (obj.size() != 1) return {};
    auto kv = *obj.begin();
    return {kv.key, JsonView(kv.value)};
  }

 private:
  simdjson::dom::element e_;
  bool ok_ = false;
};

// A parsed libpg_query JSON text. Thread-compatible: one parser per thread.
struct JsonDocument {
  simdjson::dom::document doc;
  JsonView root;
};
// Parses `text` (libpg_query output). Null when it is not valid JSON (never expected).
std::shared_ptr<const JsonDocument> parse_json_document(std::string_view text);

struct ParseTree {
  std::shared_ptr<const JsonDocument> doc;  // owns the tape `node` points into
  JsonView node;                            // one RawStmt's `stmt`, e.g. {"AlterTableStmt": {...}}
  // libpg_query locations are relative to the string it parsed; add `base` for a file offset.
  int base = 0;
};

}  // namespace pgstage
