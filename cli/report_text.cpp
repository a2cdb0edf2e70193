#include <sstream>

#include "cli/report.h"

namespace pgstage::cli {

namespace {

struct Palette {
  bool on;
  std::string c(const char* code) const { return on ? std::string("\033[") + code + "m" : std::string(); }
  std::string reset() const { return c("0"); }
  std::string sev(Severity s) const {
    return s == Severity::Error ? c("1;31") : s == Severity::Warning ? c("1;33") : c("1;36");
  }
};

}  // namespace

std::string plural(size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

std::string render_text(const LintResult& r, const ReportOptions& o) {
  std::ostringstream out;
  Palette p{o.color};
  for (auto& f : r.findings) {
    out << p.c("1") << f.file << ":" << f.start.line << ":" << f.start.column << ":" << p.reset() << " "
        << p.sev(f.severity) << severity_name(f.severity) << "[" << f.rule << "]" << p.reset() << ": " << f.message
        << "\n";
    auto it = r.sources.find(f.file);
    if (it != r.sources.end()) {
      const SourceFile& src = *it->second;
      int last = std::min(f.stop.line, f.start.line + 4);
      for (int line = f.start.line; line <= last; ++line) {
        std::string_view text = src.line_text(line);
        std::string num = std::to_string(line);
        out << "  " << std::string(num.size() < 4 ? 4 - num.size() : 0, ' ') << num << " | " << text << "\n";
        // Underline the part of this line the finding covers.
        int from = line == f.start.line ? f.start.column : 1;
        int to = line == f.stop.line ? f.stop.column : int(text.size()) + 1;
        int width = 0;
        for (unsigned char ch : text)
          if ((ch & 0xC0) != 0x80) ++width;
        if (to > width + 1) to = width + 1;
        if (to <= from) to = from + 1;
        out << "       | " << std::string(size_t(from - 1), ' ') << p.sev(f.severity)
            << std::string(size_t(to - from), '^') << p.reset() << "\n";
      }
      if (last < f.stop.line) out << "       | ...\n";
    }
    if (f.lock.mode != LockMode::None) {
      out << "  = lock: " << lock_phrase(f.lock.mode);
      if (f.lock.rewrite)
        out << (f.lock.rewrite_uncertain ? ", may rewrite the table" : ", rewrites the table");
      else if (f.lock.scan)
        out << ", scans the table";
      out << "\n";
    }
    if (!f.help.empty()) {
      std::istringstream help(f.help);
      std::string line;
      bool first = true;
      while (std::getline(help, line)) {
        out << (first ? "  = help: " : "          ") << line << "\n";
        first = false;
      }
    }
    out << "\n";
  }
  for (auto& e : r.errors) out << "error: " << e << "\n";
  if (r.files.empty() && !r.errors.empty()) return out.str();  // nothing was linted: no "0 files" summary
  size_t stmts = r.statements.size();
  out << p.c("1") << "pgstage: " << plural(r.files.size(), "file") << ", " << plural(stmts, "statement") << ": "
      << plural(size_t(r.count(Severity::Error)), "error") << ", "
      << plural(size_t(r.count(Severity::Warning)), "warning") << ", "
      << plural(size_t(r.count(Severity::Hint)), "hint") << p.reset() << "\n";
  return out.str();
}

}  // namespace pgstage::cli
