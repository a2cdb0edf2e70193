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
}  // namespace

std::optional<Volatility> builtin_volatility(std::string_view name) {
  auto it = std::lower_bound(std::begin(kBuiltins), std::end(kBuiltins), name,
                             [](const Entry& e, std::string_view n) { return std::string_view(e.name) < n; });
  if (it == std::end(kBuiltins) || std::string_view(it->name) != name) return std::nullopt;
  switch (it->provolatile) {
    case 'i': return Volatility::Immutable;
    case 's': return Volatility::Stable;
    default: return Volatility::Volatile;
  }
}

size_t builtin_function_count() { return std::size(kBuiltins); }

}  // namespace pgstage
