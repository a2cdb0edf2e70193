#include "deploy/deploy_config.h"

#include <cctype>

namespace pgstage::deploy {

bool parse_duration(const std::string& text, Millis& out) {
  size_t i = 0;
  while (i < text.size() && isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 9) return false;
  long long n = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  if (unit == "ms")
    out = Millis(n);
  else if (unit == "s" || unit.empty())
    out = Millis(n * 1000);
  else if (unit == "m")
    out = Millis(n * 60000);
  else
    return false;
  return true;
}

std::string expand_release(std::string s, const std::string& release) {
  const std::string key = "{release}";
  for (size_t pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + release.size()))
    s.replace(pos, key.size(), release);
  return s;
}

}  // namespace pgstage::deploy
