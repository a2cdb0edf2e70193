#include <sstream>

#include "cli/json_writer.h"
#include "cli/report.h"

namespace pgstage::cli {

using json = nlohmann::ordered_json;

namespace {

// The lock facts of a statement or finding: the one definition of their JSON shape.
void write_lock(JsonWriter& w, const LockFacts& l) {
  w.begin_object();
  w.key("mode");
  if (l.mode == LockMode::None) w.value(nullptr);
  else w.value(lock_mode_name(l.mode));
  w.key("tables").begin_array();
  for (auto& t : l.tables) w.value(t.table.str());
  w.end_array();
  w.member("blocks_reads", blocks_reads(l.mode));
  w.member("blocks_writes", blocks_writes(l.mode));
  w.key("per_table").begin_array();
  for (auto& t : l.tables) {
    w.begin_object();
    w.member("table", t.table.str());
    w.member("mode", lock_mode_name(t.mode));
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace

json lock_json(const LockFacts& l) {
  std::ostringstream s;
  {
    JsonWriter w(s);
    write_lock(w, l);
  }
  return json::parse(s.str());
}

namespace {

void write_finding(JsonWriter& w, const Finding& f) {
  w.begin_object();
  w.member("rule", f.rule);
  w.member("category", category_name(f.category));
  w.member("severity", severity_name(f.severity));
  w.member("file", f.file);
  w.member("line", f.start.line);
  w.member("column", f.start.column);
  w.member("end_line", f.stop.line);
  w.member("end_column", f.stop.column);
  w.member("message", f.message);
  w.member("help", f.help);
  w.key("lock");
  write_lock(w, f.lock);
  w.member("rewrite", f.lock.rewrite);
  w.member("rewrite_uncertain", f.lock.rewrite_uncertain);
  w.member("scan", f.lock.scan);
  w.member("plannable", f.plannable);
  w.member("fingerprint", f.fingerprint);
  w.end_object();
}

}  // namespace

void write_json(const LintResult& r, const ReportOptions& o, std::ostream& out) {
  JsonWriter w(out);
  w.begin_object();
  w.member("version", 1);
  w.key("tool").begin_object().member("name", "pgstage").member("version", PGSTAGE_VERSION).end_object();
  w.member("pg_version", r.pg_version);
  w.key("files").begin_array();
  for (auto& f : r.files) {
    w.begin_object();
    w.member("path", f.path);
    w.member("layout", f.layout);
    w.member("statements", f.statements);
    w.member("syntax_errors", f.syntax_errors);
    w.end_object();
  }
  w.end_array();
  w.key("statements").begin_array();
  for (auto& s : r.statements) {
    w.begin_object();
    w.member("file", s.file);
    w.member("line", s.start.line);
    w.member("column", s.start.column);
    w.member("end_line", s.stop.line);
    w.member("end_column", s.stop.column);
    w.key("span").begin_object().member("begin", s.begin).member("end", s.end).end_object();
    w.member("kind", s.kind);
    w.key("changes").begin_array();
    for (auto& c : s.changes) w.value(c);
    w.end_array();
    w.member("in_transaction", s.in_transaction);
    w.key("lock");
    write_lock(w, s.lock);
    w.member("rewrite", s.lock.rewrite);
    w.member("rewrite_uncertain", s.lock.rewrite_uncertain);
    w.member("scan", s.lock.scan);
    w.member("transactional", s.lock.transactional);
    w.end_object();
  }
  w.end_array();
  w.key("findings").begin_array();
  for (auto& f : r.findings) write_finding(w, f);
  w.end_array();
  w.key("summary").begin_object();
  w.member("files", r.files.size());
  w.member("statements", r.statements.size());
  w.member("findings", r.findings.size());
  w.member("errors", r.count(Severity::Error));
  w.member("warnings", r.count(Severity::Warning));
  w.member("hints", r.count(Severity::Hint));
  w.member("fail_on", severity_name(o.fail_on));
  w.member("failed", r.fails(o.fail_on));
  w.end_object();
  w.end_object();
}

std::string render_json(const LintResult& r, const ReportOptions& o) {
  std::ostringstream s;
  write_json(r, o, s);
  return s.str();
}

}  // namespace pgstage::cli
