#include "db/redact.h"

#include <cctype>
#include <vector>

namespace pgstage::db {

namespace {

constexpr std::string_view kMask = "***";

bool is_url(std::string_view s) { return s.rfind("postgres://", 0) == 0 || s.rfind("postgresql://", 0) == 0; }

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Byte ranges [begin, end) of the password(s) in `s`.
std::vector<std::pair<size_t, size_t>> password_spans(std::string_view s) {
  std::vector<std::pair<size_t, size_t>> spans;
  if (is_url(s)) {
    size_t auth = s.find("://") + 3;
    size_t host_end = s.find_first_of("/?", auth);
    if (host_end == std::string_view::npos) host_end = s.size();
    size_t at = s.rfind('@', host_end);
    if (at != std::string_view::npos && at >= auth) {
      size_t colon = s.find(':', auth);
      if (colon != std::string_view::npos && colon < at) spans.emplace_back(colon + 1, at);
    }
    for (size_t q = s.find('?', auth); q != std::string_view::npos && q < s.size();) {
      size_t start = q + 1;
      size_t amp = s.find('&', start);
      size_t end = amp == std::string_view::npos ? s.size() : amp;
      std::string_view kv = s.substr(start, end - start);
      if (kv.rfind("password=", 0) == 0) spans.emplace_back(start + 9, end);
      q = amp;
    }
    return spans;
  }
  // key=value conninfo; a value may be single-quoted with backslash escapes.
  for (size_t p = s.find("password"); p != std::string_view::npos; p = s.find("password", p + 1)) {
    if (p > 0 && !std::isspace(static_cast<unsigned char>(s[p - 1]))) continue;
    size_t i = p + 8;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size() || s[i] != '=') continue;
    ++i;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'') i += s[i] == '\\' ? 2 : 1;
      spans.emplace_back(start, std::min(s.size(), i + 1));
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      spans.emplace_back(start, i);
    }
  }
  return spans;
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + with.size()))
    s.replace(p, what.size(), with);
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto spans = password_spans(url);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it)
    if (it->second > it->first) out.replace(it->first, it->second - it->first, kMask);
  return out;
}

std::string url_password(std::string_view url) {
  auto spans = password_spans(url);
  if (spans.empty()) return {};
  std::string_view raw = url.substr(spans[0].first, spans[0].second - spans[0].first);
  if (is_url(url)) return percent_decode(raw);
  if (raw.size() >= 2 && raw.front() == '\'') {
    std::string v;
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 2 < raw.size()) ++i;
      v += raw[i];
    }
    return v;
  }
  return std::string(raw);
}

std::string url_without_password(std::string_view url) {
  std::string out(url);
  auto spans = password_spans(url);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    size_t b = it->first, e = it->second;
    if (is_url(url) && b > 0 && out[b - 1] == ':') {
      --b;  // user:password@ -> user@
    } else if (is_url(url) && b >= 9 && out.compare(b - 9, 9, "password=") == 0) {
      b -= 9;  // ?password=x&... -> ?...
      if (e < out.size() && out[e] == '&') ++e;
    } else if (!is_url(url)) {
      b = out.rfind("password", b);  // password = 'x' -> nothing
    }
    out.erase(b, e - b);
  }
  if (is_url(url) && !out.empty() && (out.back() == '?' || out.back() == '&')) out.pop_back();
  return out;
}

std::string redact_secrets(std::string_view text, std::string_view url) {
  std::string out(text);
  replace_all(out, url, redact_url(url));
  for (auto& [b, e] : password_spans(url)) {
    if (e <= b) continue;
    std::string raw(url.substr(b, e - b));
    if (!raw.empty()) replace_all(out, raw, kMask);
  }
  std::string pw = url_password(url);
  if (!pw.empty()) replace_all(out, pw, kMask);
  return out;
}

}  // namespace pgstage::db
