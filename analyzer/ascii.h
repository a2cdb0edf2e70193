// ASCII character helpers for hot text scans: SQL keywords and identifiers are ASCII, and these
// avoid <cctype>'s locale look-up per byte (same results as the "C" locale pgstage runs in).
#pragma once

namespace pgstage {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }
inline bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace pgstage
