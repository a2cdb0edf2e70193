// Volatility of built-in functions, from pg_proc.provolatile of Postgres 15 (generated table).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "analyzer/change.h"

namespace pgstage {

// The volatility of a built-in function by name (pg_catalog), or nullopt for an unknown function
// (user-defined or from an extension: callers count those as volatile).
std::optional<Volatility> builtin_volatility(std::string_view function_name);

// Number of functions in the built-in table (for tests).
size_t builtin_function_count();

// Every function of the built-in table, in name order (for tests comparing it with a server).
struct BuiltinFunction {
  std::string_view name;
  Volatility volatility;
};
std::vector<BuiltinFunction> builtin_functions();

}  // namespace pgstage
