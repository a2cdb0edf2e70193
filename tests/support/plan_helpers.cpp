#include "tests/support/plan_helpers.h"

#include <pqxx/pqxx>

#include "analyzer/lint.h"
#include "analyzer/rule_api.h"
#include "tests/support/lint_helpers.h"

namespace pgstage::test {

planner::PlanResult plan_text(const std::string& sql, const std::string& name) {
  // Analysed the way `pgstage plan` analyses a file: lint with every rule, then plan what it found.
  LintOptions lo;
  lo.keep_analysis = true;
  LintResult lint = lint_text(sql, lo, name);
  planner::PlanOptions opts;
  opts.batch_size = 7;  // small, so that tests cross batch boundaries
  if (lint.analyses.empty()) {
    planner::PlanResult r;
    r.error = name + ": not analysed";
    return r;
  }
  return planner::make_plan(lint.analyses.front(), opts);
}

std::string phase_text(const planner::Plan& p, planner::Phase phase) {
  std::string out;
  for (auto* s : p.steps_of(phase))
    out += (s->backfill ? planner::backfill_batch_text(*s->backfill) : s->sql) + ";\n";
  return out;
}

namespace {
std::string run_backfill(pqxx::connection& c, const planner::BackfillSpec& b) {
  // What the executor does, minus its state: per batch, in one transaction, the last key of the
  // next batch, then the UPDATE of that key range.
  std::vector<std::string> after;
  for (int guard = 0; guard < 1000000; ++guard) {
    pqxx::work tx(c);
    pqxx::result bound = tx.exec(planner::backfill_bound_sql(b, after, b.batch_size));
    if (bound.empty()) return "";
    std::vector<std::string> upper;
    for (auto f : bound[0]) upper.push_back(tx.quote(f.c_str()));
    tx.exec0(planner::backfill_update_sql(b, after, upper));
    tx.commit();
    after = upper;
  }
  return "backfill did not finish";
}
}  // namespace

std::string run_phase(const std::string& url, const planner::Plan& p, planner::Phase phase) {
  try {
    pqxx::connection c(url);
    for (auto* s : p.steps_of(phase)) {
      try {
        if (s->backfill) {
          std::string e = run_backfill(c, *s->backfill);
          if (!e.empty()) return s->id + ": " + e;
        } else if (s->transactional) {
          pqxx::work tx(c);
          tx.exec(s->sql);
          tx.commit();
        } else {
          pqxx::nontransaction tx(c);
          tx.exec(s->sql);
        }
      } catch (const std::exception& e) {
        return s->id + ": " + e.what() + "\nSQL: " + s->sql;
      }
    }
  } catch (const std::exception& e) {
    return std::string("connect: ") + e.what();
  }
  return "";
}

}  // namespace pgstage::test
