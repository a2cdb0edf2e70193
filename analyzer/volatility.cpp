#include "analyzer/volatility.h"

#include <algorithm>
#include <iterator>

namespace pgstage {

namespace {
struct Entry {
  const char* name;
  char provolatile;
};
constexpr Entry kBuiltins[] = {
#include "analyzer/builtin_volatility.inc"
};

Volatility from_provolatile(char c) {
  switch (c) {
    case 'i':
      return Volatility::Immutable;
    case 's':
      return Volatility::Stable;
    default:
      return Volatility::Volatile;
  }
}
}  // namespace

std::optional<Volatility> builtin_volatility(std::string_view name) {
  auto it = std::lower_bound(std::begin(kBuiltins), std::end(kBuiltins), name,
                             [](const Entry& e, std::string_view n) { return std::string_view(e.name) < n; });
  if (it == std::end(kBuiltins) || std::string_view(it->name) != name) return std::nullopt;
  return from_provolatile(it->provolatile);
}

size_t builtin_function_count() { return std::size(kBuiltins); }

std::vector<BuiltinFunction> builtin_functions() {
  std::vector<BuiltinFunction> out;
  out.reserve(std::size(kBuiltins));
  for (const auto& e : kBuiltins) out.push_back({e.name, from_provolatile(e.provolatile)});
  return out;
}

}  // namespace pgstage
