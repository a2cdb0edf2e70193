#include "cli/report.h"

namespace pgstage::cli {

namespace {

// Workflow command escaping (actions/toolkit core/src/command.ts): message data escapes % CR LF;
// property values also escape : and ,.
std::string escape_data(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else
      out += c;
  }
  return out;
}

std::string escape_property(const std::string& s) {
  std::string out;
  for (char c : escape_data(s)) {
    if (c == ':')
      out += "%3A";
    else if (c == ',')
      out += "%2C";
    else
      out += c;
  }
  return out;
}


const char* command(Severity s) {
  return s == Severity::Error ? "error" : s == Severity::Warning ? "warning" : "notice";
}

}  // namespace

std::string render_github(const LintResult& r, const ReportOptions& o) {
  std::string out;
  for (const Finding& f : r.findings) {
    out += "::";
    out += command(f.severity);
    out += " file=" + escape_property(f.file) + ",line=" + std::to_string(f.start.line) +
           ",col=" + std::to_string(f.start.column) + ",endLine=" + std::to_string(f.stop.line) +
           ",endColumn=" + std::to_string(f.stop.column) + ",title=" + escape_property(f.rule) + "::";
    std::string text = f.message;
    if (!f.help.empty()) text += "\n" + f.help;
    out += escape_data(text) + "\n";
  }
  out += "pgstage: " + plural(r.files.size(), "file") + ", " + plural(r.statements.size(), "statement") + ": " +
         plural(size_t(r.count(Severity::Error)), "error") + ", " +
         plural(size_t(r.count(Severity::Warning)), "warning") + ", " +
         plural(size_t(r.count(Severity::Hint)), "hint") +
         (r.fails(o.fail_on) ? " (failing at " + std::string(severity_name(o.fail_on)) + ")" : "") + "\n";
  return out;
}

}  // namespace pgstage::cli
