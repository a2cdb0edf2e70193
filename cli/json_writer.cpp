#include "cli/json_writer.h"

#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace pgstage::cli {

namespace {

// At a byte >= 0x80: the length of the valid UTF-8 sequence starting there (`valid`), or how many
// bytes one U+FFFD replaces. Like nlohmann::json's `replace` handler: the lead byte and the
// continuation bytes accepted before the first one that does not fit (which is read again), or
// the rest of the string when it ends inside the sequence.
struct Utf8Step {
  size_t len;
  bool valid;
};
Utf8Step utf8_step(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c >= 0xF5 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0) return {1, false};
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range: no overlongs, surrogates, > U+10FFFF
  if (c == 0xE0)
    lo = 0xA0;
  else if (c == 0xED)
    hi = 0x9F;
  else if (c == 0xF0)
    lo = 0x90;
  else if (c == 0xF4)
    hi = 0x8F;
  for (size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return {k, false};
    unsigned char b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) return {k, false};
  }
  return {n, true};
}

// Whether any of the 8 bytes in `w` is a control character, '"', '\\' or non-ASCII (SWAR).
bool needs_attention(uint64_t w) {
  constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  auto has_zero = [&](uint64_t x) { return (x - ones) & ~x & highs; };
  uint64_t below_space = (w - ones * 0x20) & ~w & highs;  // a byte < 0x20 (or >= 0x80: caught below)
  return (below_space | has_zero(w ^ (ones * '"')) | has_zero(w ^ (ones * '\\')) | (w & highs)) != 0;
}

}  // namespace

void JsonWriter::string_body(std::string_view s) {
  size_t run = 0;  // start of the pending run of bytes copied as they are
  for (size_t i = 0; i < s.size();) {
    // Fast path: plain ASCII 16 (SSE2) or 8 (SWAR) bytes at a time (most of a report is English
    // text and paths).
#ifdef __SSE2__
    while (i + 16 <= s.size()) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      // Bytes < 0x20 or >= 0x80 (signed compare: < 0x20 catches both), '"' and '\\'.
      __m128i bad =
          _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                       _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
      int mask = _mm_movemask_epi8(bad);
      if (mask) {
        i += size_t(__builtin_ctz(unsigned(mask)));
        break;
      }
      i += 16;
    }
#endif
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (needs_attention(w)) break;
      i += 8;
    }
    if (i >= s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      Utf8Step step = utf8_step(s, i);
      if (!step.valid) {
        buf_.append(s.data() + run, i - run);
        buf_ += "\xEF\xBF\xBD";  // invalid UTF-8: U+FFFD
        run = i + step.len;
      }
      i += step.len;
      continue;
    }
    buf_.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        buf_ += "\\\"";
        break;
      case '\\':
        buf_ += "\\\\";
        break;
      case '\b':
        buf_ += "\\b";
        break;
      case '\f':
        buf_ += "\\f";
        break;
      case '\n':
        buf_ += "\\n";
        break;
      case '\r':
        buf_ += "\\r";
        break;
      case '\t':
        buf_ += "\\t";
        break;
      default: {  // the other control characters
        static const char kHex[] = "0123456789abcdef";
        buf_ += "\\u00";
        buf_ += kHex[c >> 4];
        buf_ += kHex[c & 0xF];
      }
    }
    ++i;
    run = i;
  }
  buf_.append(s.data() + run, s.size() - run);
}

}  // namespace pgstage::cli
