#include "deploy/log_tail.h"

namespace pgstage::deploy {

std::string last_lines(const std::string& text, int n) {
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  size_t start = end;
  int count = 0;
  while (start > 0 && n > 0) {
    size_t nl = text.rfind('\n', start - 1);
    if (nl == std::string::npos) {
      start = 0;
      break;
    }
    if (++count == n) {
      start = nl + 1;
      break;
    }
    start = nl;
  }
  return text.substr(start, end - start);
}

}  // namespace pgstage::deploy
