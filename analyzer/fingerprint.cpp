// Finding fingerprints: FNV-1a over rule, path and the statement's whitespace-insensitive text.
#include "analyzer/fingerprint.h"

#include <cstdio>

#include "analyzer/ascii.h"
#include "analyzer/lint.h"

namespace pgstage {

namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

// FNV-1a over `s`, then a 0xff separator.
uint64_t fnv_mix(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= kFnvPrime;
  }
  h ^= 0xff;
  return h * kFnvPrime;
}

// The bytes of a statement's whitespace-insensitive form, one by one: runs of whitespace become
// one space (none at the ends), letters lower case. Reformatting keeps a fingerprint.
template <class Emit>
void each_normalized_byte(std::string_view text, Emit&& emit) {
  bool space = false, any = false;
  for (char c : text) {
    if (ascii_space(c)) {
      space = true;
      continue;
    }
    if (space && any) emit(' ');
    space = false;
    any = true;
    emit(ascii_lower(c));
  }
}

}  // namespace

std::string fingerprint_text(std::string_view text) {
  std::string norm(text.size(), '\0');
  char* out = norm.data();
  each_normalized_byte(text, [&](char c) { *out++ = c; });
  norm.resize(size_t(out - norm.data()));
  return norm;
}

namespace {

// fnv_mix(h, fingerprint_text(text)) without building the normalized text.
uint64_t fnv_mix_normalized(uint64_t h, std::string_view text) {
  each_normalized_byte(text, [&](char c) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  });
  h ^= 0xff;
  return h * kFnvPrime;
}

}  // namespace

std::string hex_with_occurrence(uint64_t h, int occurrence) {
  char occ[16];
  int n = snprintf(occ, sizeof occ, "%d", occurrence);
  h = fnv_mix(h, std::string_view(occ, size_t(n)));
  static const char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[size_t(i)] = kHex[h & 0xf];
  return out;
}

std::string fingerprint_of(std::string_view rule, std::string_view path, std::string_view normalized_text,
                           int occurrence) {
  return hex_with_occurrence(fnv_mix(fnv_mix(fnv_mix(kFnvOffset, rule), path), normalized_text), occurrence);
}

uint64_t fingerprint_base(std::string_view rule, std::string_view path, std::string_view text) {
  return fnv_mix_normalized(fnv_mix(fnv_mix(kFnvOffset, rule), path), text);
}

std::string finding_fingerprint(std::string_view rule, std::string_view path, std::string_view text, int occurrence) {
  return hex_with_occurrence(fingerprint_base(rule, path, text), occurrence);
}

}  // namespace pgstage
