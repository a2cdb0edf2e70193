#include "analyzer/finding.h"

namespace pgstage {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Hint:
      return "hint";
    case Severity::Warning:
      return "warning";
    case Severity::Error:
      return "error";
  }
  return "error";
}

std::optional<Severity> parse_severity(std::string_view s) {
  if (s == "hint" || s == "info") return Severity::Hint;
  if (s == "warning" || s == "warn") return Severity::Warning;
  if (s == "error") return Severity::Error;
  return std::nullopt;
}

std::string_view category_name(Category c) {
  switch (c) {
    case Category::Compat:
      return "compat";
    case Category::Locking:
      return "locking";
    case Category::Rewrite:
      return "rewrite";
    case Category::Data:
      return "data";
    case Category::Transaction:
      return "transaction";
    case Category::Style:
      return "style";
    case Category::Meta:
      return "meta";
  }
  return "meta";
}

}  // namespace pgstage
