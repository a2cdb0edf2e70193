#include <nlohmann/json.hpp>

#include "planner/backfill_json.h"
#include "planner/planner.h"

namespace pgstage::planner {

using json = nlohmann::ordered_json;

std::string_view phase_name(Phase p) {
  switch (p) {
    case Phase::Expand:
      return "expand";
    case Phase::Backfill:
      return "backfill";
    case Phase::Contract:
      return "contract";
  }
  return "expand";
}

std::optional<Phase> parse_phase(std::string_view s) {
  if (s == "expand") return Phase::Expand;
  if (s == "backfill") return Phase::Backfill;
  if (s == "contract") return Phase::Contract;
  return std::nullopt;
}

bool Plan::has_contract() const {
  for (auto& s : steps)
    if (s.phase == Phase::Contract) return true;
  return false;
}

std::vector<const Step*> Plan::steps_of(Phase p) const {
  std::vector<const Step*> out;
  for (auto& s : steps)
    if (s.phase == p) out.push_back(&s);
  return out;
}

namespace {

json name_json(const QualifiedName& n) { return json{{"schema", n.schema}, {"name", n.name}}; }

QualifiedName name_from(const json& j) {
  return QualifiedName{j.value("schema", std::string()), j.value("name", std::string())};
}

json lock_json(const LockFacts& l) {
  json tables = json::array();
  for (auto& t : l.tables)
    tables.push_back({{"table", name_json(t.table)}, {"mode", std::string(lock_mode_name(t.mode))}});
  return json{{"mode", std::string(lock_mode_name(l.mode))},
              {"tables", tables},
              {"blocks_reads", blocks_reads(l.mode)},
              {"blocks_writes", blocks_writes(l.mode)},
              {"rewrite", l.rewrite},
              {"scan", l.scan},
              {"transactional", l.transactional},
              {"note", l.note}};
}

LockFacts lock_from(const json& j) {
  LockFacts l;
  l.mode = lock_mode_from_name(j.value("mode", std::string()));
  for (auto& t : j.value("tables", json::array()))
    l.tables.push_back(TableLock{name_from(t.at("table")), lock_mode_from_name(t.value("mode", std::string()))});
  l.rewrite = j.value("rewrite", false);
  l.scan = j.value("scan", false);
  l.transactional = j.value("transactional", true);
  l.note = j.value("note", std::string());
  return l;
}

json backfill_json(const BackfillSpec& b) {
  json j{{"table", name_json(b.table)},
         {"key_columns", b.key_columns},
         {"set_sql", b.set_sql},
         {"predicate", b.predicate},
         {"batch_size", b.batch_size}};
  if (!b.from_sql.empty()) j["from"] = b.from_sql;
  j["fire_user_triggers"] = b.fire_user_triggers;
  return j;
}

BackfillSpec backfill_from(const json& j) {
  BackfillSpec b;
  const json& t = j.at("table");
  b.table = t.is_string() ? QualifiedName{j.value("schema", std::string()), t.get<std::string>()} : name_from(t);
  b.key_columns = j.at("key_columns").get<std::vector<std::string>>();
  b.set_sql = j.at("set_sql").get<std::string>();
  b.predicate = j.value("predicate", std::string());
  b.batch_size = j.value("batch_size", 1000);
  b.from_sql = j.value("from", std::string());
  b.fire_user_triggers = j.value("fire_user_triggers", true);  // specs stored before the field: as they ran
  return b;
}

}  // namespace

std::string backfill_spec_json(const BackfillSpec& b) { return backfill_json(b).dump(); }

std::optional<BackfillSpec> backfill_spec_from_json(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("table") || !j.contains("key_columns") ||
      !j.contains("set_sql"))
    return std::nullopt;
  try {
    return backfill_from(j);
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string to_json(const Plan& p) {
  json phases = json::array();
  for (auto& info : p.phases) {
    json steps = json::array();
    for (auto& s : p.steps) {
      if (s.phase != info.phase) continue;
      json tables = json::array();
      for (auto& t : s.tables) tables.push_back(name_json(t));
      json js{{"id", s.id},
              {"kind", s.kind},
              {"description", s.description},
              {"sql", s.sql},
              {"transactional", s.transactional},
              {"tables", tables},
              {"lock", lock_json(s.lock)},
              {"rule", s.rule},
              {"source_statement", s.source_statement}};
      if (s.backfill) js["backfill"] = backfill_json(*s.backfill);
      steps.push_back(std::move(js));
    }
    phases.push_back(json{{"phase", std::string(phase_name(info.phase))},
                          {"runs", info.runs},
                          {"releases_running", info.releases_running},
                          {"steps", steps}});
  }
  json j{{"version", p.version},
         {"source", {{"path", p.source_path}, {"checksum", p.source_checksum}}},
         {"phases", phases}};
  if (p.verification) {
    const Verification& v = *p.verification;
    j["verification"] = json{{"outcome", v.outcome}, {"verified", v.outcome == "verified"}, {"shadow", v.shadow},
                             {"tables", v.tables},   {"sample_rows", v.sample_rows},        {"compared", v.compared},
                             {"objects", v.objects}, {"differences", v.differences},        {"notes", v.notes},
                             {"error", v.error}};
  }
  return j.dump(2) + "\n";
}

bool from_json(const std::string& text, Plan& out, std::string& err) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    err = "plan.json is not a JSON object";
    return false;
  }
  if (!j.contains("version") || !j["version"].is_number_integer()) {
    err = "plan.json has no integer `version` field";
    return false;
  }
  int version = j["version"].get<int>();
  if (version != kPlanVersion) {
    err = "plan.json has version " + std::to_string(version) + ", this pgstage reads version " +
          std::to_string(kPlanVersion) + " only; re-run `pgstage plan` with this pgstage";
    return false;
  }
  try {
    Plan p;
    p.version = version;
    const json& src = j.at("source");
    p.source_path = src.at("path").get<std::string>();
    p.source_checksum = src.value("checksum", std::string());
    Phase last = Phase::Expand;
    for (auto& jp : j.at("phases")) {
      std::string name = jp.at("phase").get<std::string>();
      auto phase = parse_phase(name);
      if (!phase) {
        err = "plan.json: unknown phase `" + name + "`";
        return false;
      }
      if (*phase < last) {
        err = "plan.json: phase `" + name + "` is out of order (expand, backfill, contract)";
        return false;
      }
      last = *phase;
      p.phases.push_back(
          PhaseInfo{*phase, jp.value("runs", std::string()), jp.value("releases_running", std::string())});
      for (auto& js : jp.at("steps")) {
        Step s;
        s.id = js.at("id").get<std::string>();
        s.phase = *phase;
        s.kind = js.at("kind").get<std::string>();
        s.description = js.value("description", std::string());
        s.sql = js.value("sql", std::string());
        s.transactional = js.value("transactional", true);
        for (auto& t : js.value("tables", json::array())) s.tables.push_back(name_from(t));
        if (js.contains("lock")) s.lock = lock_from(js["lock"]);
        s.rule = js.value("rule", std::string());
        s.source_statement = js.value("source_statement", -1);
        if (js.contains("backfill")) s.backfill = backfill_from(js["backfill"]);
        if (s.sql.empty() && !s.backfill) {
          err = "plan.json: step `" + s.id + "` has neither `sql` nor `backfill`";
          return false;
        }
        p.steps.push_back(std::move(s));
      }
    }
    if (j.contains("verification") && j["verification"].is_object()) {
      const json& jv = j["verification"];
      Verification v;
      v.outcome = jv.value("outcome", std::string());
      v.shadow = jv.value("shadow", std::string());
      v.tables = jv.value("tables", std::vector<std::string>());
      v.sample_rows = jv.value("sample_rows", 0L);
      v.compared = jv.value("compared", std::vector<std::string>());
      v.objects = jv.value("objects", size_t(0));
      v.differences = jv.value("differences", std::vector<std::string>());
      v.notes = jv.value("notes", std::vector<std::string>());
      v.error = jv.value("error", std::string());
      p.verification = std::move(v);
    }
    out = std::move(p);
    return true;
  } catch (const std::exception& e) {
    err = std::string("plan.json is malformed: ") + e.what();
    return false;
  }
}

}  // namespace pgstage::planner
