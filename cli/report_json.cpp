#include "cli/report.h"

namespace pgstage::cli {

using json = nlohmann::ordered_json;

json lock_json(const LockFacts& l) {
  json tables = json::array();
  for (auto& t : l.tables) tables.push_back(t.table.str());
  json j = {{"mode", l.mode == LockMode::None ? json(nullptr) : json(std::string(lock_mode_name(l.mode)))},
            {"tables", tables},
            {"blocks_reads", blocks_reads(l.mode)},
            {"blocks_writes", blocks_writes(l.mode)}};
  json per = json::array();
  for (auto& t : l.tables) per.push_back({{"table", t.table.str()}, {"mode", std::string(lock_mode_name(t.mode))}});
  j["per_table"] = per;
  return j;
}

json finding_json(const Finding& f) {
  return json{{"rule", f.rule},
              {"category", std::string(category_name(f.category))},
              {"severity", std::string(severity_name(f.severity))},
              {"file", f.file},
              {"line", f.start.line},
              {"column", f.start.column},
              {"end_line", f.stop.line},
              {"end_column", f.stop.column},
              {"message", f.message},
              {"help", f.help},
              {"lock", lock_json(f.lock)},
              {"rewrite", f.lock.rewrite},
              {"rewrite_uncertain", f.lock.rewrite_uncertain},
              {"scan", f.lock.scan},
              {"plannable", f.plannable},
              {"fingerprint", f.fingerprint}};
}

std::string render_json(const LintResult& r, const ReportOptions& o) {
  json files = json::array();
  for (auto& f : r.files)
    files.push_back({{"path", f.path}, {"layout", f.layout}, {"statements", f.statements}, {"syntax_errors", f.syntax_errors}});
  json stmts = json::array();
  for (auto& s : r.statements) {
    json j = {{"file", s.file},
              {"line", s.start.line},
              {"column", s.start.column},
              {"end_line", s.stop.line},
              {"end_column", s.stop.column},
              {"span", {{"begin", s.begin}, {"end", s.end}}},
              {"kind", s.kind},
              {"changes", s.changes},
              {"in_transaction", s.in_transaction},
              {"lock", lock_json(s.lock)},
              {"rewrite", s.lock.rewrite},
              {"rewrite_uncertain", s.lock.rewrite_uncertain},
              {"scan", s.lock.scan},
              {"transactional", s.lock.transactional}};
    stmts.push_back(std::move(j));
  }
  json findings = json::array();
  for (auto& f : r.findings) findings.push_back(finding_json(f));
  json doc = {{"version", 1},
              {"tool", {{"name", "pgstage"}, {"version", PGSTAGE_VERSION}}},
              {"pg_version", r.pg_version},
              {"files", files},
              {"statements", stmts},
              {"findings", findings},
              {"summary",
               {{"files", r.files.size()},
                {"statements", r.statements.size()},
                {"findings", r.findings.size()},
                {"errors", r.count(Severity::Error)},
                {"warnings", r.count(Severity::Warning)},
                {"hints", r.count(Severity::Hint)},
                {"fail_on", std::string(severity_name(o.fail_on))},
                {"failed", r.fails(o.fail_on)}}}};
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace pgstage::cli
