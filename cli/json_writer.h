// A streaming JSON writer for large reports: writes as it goes into a buffer that is flushed to an
// ostream every few hundred kilobytes, so a 5,000-file report never exists as a DOM or one string.
// Output matches nlohmann::json::dump(indent): with indent >= 0, that many spaces per level and
// `[]`/`{}` when empty; with a negative indent, compact (no whitespace at all). UTF-8 is kept as is
// (invalid sequences become U+FFFD as nlohmann replaces them), control characters are escaped.
// A document ends with a newline.
#pragma once

#include <cassert>
#include <charconv>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace pgstage::cli {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out, int indent = 2) : out_(out), indent_(indent) { buf_.reserve(kFlushAt + 4096); }
  ~JsonWriter() { flush(); }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  // The key of the next member of the current object. Keys are the report's own field names:
  // printable ASCII without '"' or '\\', written as they are (no escaping pass).
  JsonWriter& key(std::string_view k) {
    element();
    buf_ += '"';
    buf_ += k;
    buf_ += '"';
    if (indent_ < 0)
      buf_ += ':';
    else
      buf_ += ": ";
    after_key_ = true;
    return *this;
  }
  JsonWriter& value(std::string_view s) {
    element();
    string_literal(s);
    return done();
  }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) {
    element();
    buf_ += b ? "true" : "false";
    return done();
  }
  JsonWriter& value(std::nullptr_t) {
    element();
    buf_ += "null";
    return done();
  }
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  JsonWriter& value(I n) {
    element();
    char digits[24];
    auto r = std::to_chars(digits, digits + sizeof digits, n);
    buf_.append(digits, size_t(r.ptr - digits));
    return done();
  }

  // "schema.name" (or "name") without building the joined string.
  JsonWriter& qualified_value(std::string_view schema, std::string_view name) {
    element();
    buf_ += '"';
    if (!schema.empty()) {
      string_body(schema);
      buf_ += '.';
    }
    string_body(name);
    buf_ += '"';
    return done();
  }

  // Writes the value of the member whose key() was just written, as `write(*this)` writes it, and
  // returns its bytes, for raw_value() to write again where the same value recurs after a key at
  // the same depth (nothing is flushed in between).
  template <class F>
  std::string captured_value(F&& write) {
    assert(after_key_ && "captured_value() follows key()");
    hold_ = true;
    size_t mark = buf_.size();
    write(*this);
    hold_ = false;
    std::string bytes = buf_.substr(mark);
    done();
    return bytes;
  }
  // Writes bytes that captured_value() returned.
  JsonWriter& raw_value(std::string_view bytes) {
    element();
    buf_ += bytes;
    return done();
  }

  template <class V>
  JsonWriter& member(std::string_view k, const V& v) {
    key(k);
    return value(v);
  }
  JsonWriter& member(std::string_view k, const char* v) {
    key(k);
    return value(std::string_view(v));
  }

  // Continues a document assembled elsewhere: what follows are elements of an array nested
  // `depth` containers deep (the outer ones already hold elements), which this writer leaves open.
  JsonWriter& nested_in(size_t depth) {
    stack_.assign(depth, true);
    if (depth) stack_.back() = false;
    after_key_ = false;
    return *this;
  }
  // The current container received elements from another writer (written to the same stream
  // between flush() and this call).
  JsonWriter& spliced(bool any) {
    if (any && !stack_.empty()) stack_.back() = true;
    return *this;
  }

  void flush() {
    if (!buf_.empty()) out_.write(buf_.data(), std::streamsize(buf_.size()));
    buf_.clear();
  }

 private:
  static constexpr size_t kFlushAt = 256 * 1024;

  // Separator and indentation before a value or key in the current container.
  void element() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (stack_.empty()) return;
    if (stack_.back()) buf_ += ',';
    stack_.back() = true;
    if (indent_ < 0) return;
    buf_ += '\n';
    buf_.append(stack_.size() * size_t(indent_), ' ');
  }
  JsonWriter& done() {
    if (buf_.size() >= kFlushAt && !hold_) flush();
    return *this;
  }
  JsonWriter& open(char c) {
    element();
    buf_ += c;
    stack_.push_back(false);
    return *this;
  }
  JsonWriter& close(char c) {
    bool any = stack_.back();
    stack_.pop_back();
    if (any && indent_ >= 0) {
      buf_ += '\n';
      buf_.append(stack_.size() * size_t(indent_), ' ');
    }
    buf_ += c;
    if (stack_.empty()) buf_ += '\n';
    return done();
  }

  void string_literal(std::string_view s) {
    buf_ += '"';
    string_body(s);
    buf_ += '"';
  }
  void string_body(std::string_view s);  // escaped, without the quotes

  std::ostream& out_;
  int indent_;
  std::string buf_;
  std::vector<bool> stack_;  // per open container: has it an element yet
  bool after_key_ = false;
  bool hold_ = false;  // captured_value() is recording: do not flush
};

}  // namespace pgstage::cli
