#include "analyzer/rule_api.h"
#include "planner/planner.h"

namespace pgstage::planner {

namespace {
std::string indent(const std::string& s, const std::string& pad) {
  std::string out = pad;
  for (char c : s) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

std::string key_list(const BackfillSpec& b) {
  std::string s;
  for (auto& k : b.key_columns) s += (s.empty() ? "" : ", ") + quote_ident(k);
  return s;
}
}  // namespace

std::string render_text(const Plan& p) {
  std::string out = "Plan for " + p.source_path + " (" + p.source_checksum + ")\n";
  for (auto& info : p.phases) {
    auto steps = p.steps_of(info.phase);
    out += "\n== " + std::string(phase_name(info.phase)) + " ==  (" + std::to_string(steps.size()) + " step" +
           (steps.size() == 1 ? "" : "s") + ")\n";
    out += "   runs: " + info.runs + "\n   releases running: " + info.releases_running + "\n";
    for (auto* s : steps) {
      out += "\n  [" + s->id + "]" + (s->rule.empty() ? "" : "  (" + s->rule + ")") +
             (s->transactional ? "" : "  outside a transaction") + "\n";
      out += indent(s->description, "    ") + "\n";
      if (s->lock.mode != LockMode::None) out += "    lock: " + lock_phrase(s->lock.mode) + "\n";
      if (s->backfill) {
        out += "    batches of " + std::to_string(s->backfill->batch_size) + " rows by (" + key_list(*s->backfill) +
               "), each its own transaction, resumable from the last key:\n";
        out += indent(backfill_batch_text(*s->backfill), "      ") + ";\n";
      } else {
        out += indent(s->sql, "      ") + ";\n";
      }
    }
  }
  if (p.verification) {
    const Verification& v = *p.verification;
    out += "\nVerification (" + v.outcome + ", on " + (v.shadow == "temporary cluster" ? "a " : "") + v.shadow + "): ";
    if (v.outcome == "verified") {
      out +=
          "the migration as written and this plan (expand, backfill, mark-deployed, contract through the "
          "executor) end with the same schema" +
          std::string(v.sample_rows > 0 ? " and rows" : "") + ": " + std::to_string(v.objects) + " entries compared, " +
          std::to_string(v.sample_rows) + (v.sample_rows == 1 ? " sample row" : " sample rows");
      if (!v.tables.empty()) {
        out += " in";
        for (size_t i = 0; i < v.tables.size(); ++i) out += (i ? ", " : " ") + v.tables[i];
      }
      out += ".\n";
    } else if (v.outcome == "different") {
      out += "the plan does NOT end with the schema the migration as written produces:\n";
      for (auto& d : v.differences) out += "  - " + d + "\n";
    } else {
      out += v.error + "\n";
    }
    for (auto& n : v.notes) out += "  note: " + n + "\n";
  }
  return out;
}

std::string phase_sql(const Plan& p, Phase phase) {
  std::string out = "-- pgstage plan: " + std::string(phase_name(phase)) + " phase of " + p.source_path + "\n";
  for (auto& info : p.phases)
    if (info.phase == phase) out += "-- runs: " + info.runs + "\n-- releases running: " + info.releases_running + "\n";
  for (auto* s : p.steps_of(phase)) {
    out += "\n-- step " + s->id + (s->rule.empty() ? "" : " (" + s->rule + ")") +
           (s->transactional ? "" : " -- must run outside a transaction block") + "\n";
    std::string d = s->description;
    for (size_t i = 0; (i = d.find('\n', i)) != std::string::npos; i += 4) d.replace(i, 1, "\n-- ");
    out += "-- " + d + "\n";
    if (s->backfill) {
      out += "-- Batched backfill: each batch in its own transaction; $1 = the previous batch's last key (the first\n"
             "-- batch has no lower bound); stop when the first statement returns no row.\n" +
             indent(backfill_batch_text(*s->backfill), "-- ") + ";\n";
    } else {
      out += s->sql + ";\n";
    }
  }
  return out;
}

}  // namespace pgstage::planner
