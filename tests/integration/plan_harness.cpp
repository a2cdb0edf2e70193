#include "tests/integration/plan_harness.h"

#include <algorithm>
#include <chrono>

#include <doctest/doctest.h>

#include "tests/support/pg_cluster.h"
#include "tests/support/plan_helpers.h"

namespace pgstage::test {

Traffic::Traffic(std::string url, Release r) : url_(std::move(url)), release_(std::move(r)) {}
Traffic::~Traffic() { stop(); }

void Traffic::start() {
  thread_ = std::thread([this] {
    std::unique_ptr<pqxx::connection> c;
    try {
      c = std::make_unique<pqxx::connection>(url_);
    } catch (const std::exception& e) {
      first_error_ = std::string("connect: ") + e.what();
      ++errors_;
      return;
    }
    for (int i = 0; !stop_; ++i) {
      try {
        inserted_ += release_.op(*c, i);
      } catch (const std::exception& e) {
        if (errors_ == 0) first_error_ = e.what();
        ++errors_;
        if (c->is_open() == false) c = std::make_unique<pqxx::connection>(url_);
      }
      ++requests_;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
}

void Traffic::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool Traffic::wait_requests(int n) {
  int target = requests_ + n;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (requests_ < target) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::vector<std::string> schema_snapshot(const std::string& url) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  std::vector<std::string> out;
  const char* queries[] = {
      "SELECT 'relation ' || c.relname || ' ' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = "
      "c.relnamespace WHERE n.nspname = 'public'",
      "SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || "
      "CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, "
      "d.adrelid), '') || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END "
      "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
      "WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v')",
      "SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || "
      "CASE WHEN convalidated THEN '' ELSE ' (not validated)' END FROM pg_constraint WHERE connamespace = "
      "'public'::regnamespace",
      "SELECT 'index ' || pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END "
      "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace",
      "SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal",
      "SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
      "SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = 'public'",
  };
  for (const char* q : queries)
    for (auto row : tx.exec(q)) out.push_back(row[0].as<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
void run_sql(const std::string& url, const std::string& sql) {
  if (sql.empty()) return;
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}
long count(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<long>();
}
}  // namespace

// Runs a phase, then its generated steps once more: every generated step must be safe to re-run
// (the executor re-runs a step that was interrupted). The migration's own statements (passthrough)
// run as written in one transaction each: atomic, not idempotent, so they are not repeated.
std::string run_twice(const std::string& url, const planner::Plan& p, planner::Phase phase) {
  if (auto e = run_phase(url, p, phase); !e.empty()) return e;
  planner::Plan again = p;
  std::erase_if(again.steps, [](const planner::Step& st) {
    return st.backfill.has_value() || st.kind == "passthrough" || st.kind == "dml";
  });
  if (auto e = run_phase(url, again, phase); !e.empty()) return "re-run: " + e;
  return "";
}

ScenarioResult run_scenario(const Scenario& s) {
  ScenarioResult r;
  auto& pg = PgCluster::shared();
  if (!pg.ok()) {
    r.error = "Postgres test cluster did not start: " + pg.error();
    return r;
  }
  auto planned = plan_text(s.before + "\n-- pgstage:history-end\n" + s.migration);
  if (!planned.ok) {
    r.error = "plan: " + planned.error;
    return r;
  }
  r.plan = planned.plan;

  std::string original = pg.fresh_database("orig");
  run_sql(original, s.before);
  // One statement at a time, as a migration runner without a wrapping transaction would.
  std::string ref = s.reference_migration.empty() ? s.migration : s.reference_migration;
  for (size_t b = 0, e; b < ref.size(); b = e + 2) {
    e = ref.find(";\n", b);
    if (e == std::string::npos) e = ref.size();
    run_sql(original, ref.substr(b, e - b));
  }
  r.original_schema = schema_snapshot(original);

  std::string url = pg.fresh_database("plan");
  run_sql(url, s.before);
  run_sql(url, s.data);
  r.initial_rows = count(url, s.initial_count_sql.empty() ? s.count_sql : s.initial_count_sql);

  Traffic old_release(url, s.old_release), new_release(url, s.new_release);
  old_release.start();
  auto finish = [&] {
    old_release.stop();
    new_release.stop();
    r.old_requests = old_release.requests();
    r.old_errors = old_release.errors();
    r.old_first_error = old_release.first_error();
    r.new_requests = new_release.requests();
    r.new_errors = new_release.errors();
    r.new_first_error = new_release.first_error();
    r.inserted = old_release.inserted() + new_release.inserted();
  };
  auto fail = [&](const std::string& e) {
    finish();
    r.error = e;
    return r;
  };
  if (!old_release.wait_requests(20)) return fail("old release made no progress before expand");
  if (auto e = run_twice(url, r.plan, planner::Phase::Expand); !e.empty()) return fail("expand: " + e);
  new_release.start();
  if (!old_release.wait_requests(20) || !new_release.wait_requests(20))
    return fail("releases made no progress after expand");
  if (auto e = run_twice(url, r.plan, planner::Phase::Backfill); !e.empty()) return fail("backfill: " + e);
  if (!old_release.wait_requests(20) || !new_release.wait_requests(20))
    return fail("releases made no progress after backfill");
  if (!s.agree_sql.empty()) r.disagree = count(url, s.agree_sql);
  old_release.stop();  // the contract phase runs once no old container is left
  if (auto e = run_twice(url, r.plan, planner::Phase::Contract); !e.empty()) return fail("contract: " + e);
  if (!new_release.wait_requests(20)) return fail("new release made no progress after contract");
  finish();
  r.final_rows = count(url, s.count_sql);
  if (!s.after_contract_sql.empty()) r.after_contract = count(url, s.after_contract_sql);
  r.planned_schema = schema_snapshot(url);
  return r;
}

int old_release_errors_as_written(const Scenario& s) {
  auto& pg = PgCluster::shared();
  if (!pg.ok()) return -1;
  std::string url = pg.fresh_database("written");
  run_sql(url, s.before);
  run_sql(url, s.data);
  Traffic old_release(url, s.old_release);
  old_release.start();
  if (!old_release.wait_requests(10)) return -1;
  run_sql(url, s.migration);
  if (!old_release.wait_requests(20)) return -1;
  old_release.stop();
  return old_release.errors();
}

void check_scenario(const ScenarioResult& r) {
  REQUIRE_MESSAGE(r.error.empty(), r.error);
  MESSAGE("old release " << r.old_requests << " requests / " << r.old_errors << " errors, new release "
                         << r.new_requests << " requests / " << r.new_errors << " errors, rows " << r.initial_rows
                         << " + " << r.inserted << " inserted = " << r.final_rows << ", steps " << r.plan.steps.size());
  INFO("plan:\n" << planner::render_text(r.plan));
  CHECK(r.old_requests >= 40);
  CHECK(r.new_requests >= 40);
  CHECK_MESSAGE(r.old_errors == 0, "old release: " << r.old_first_error);
  CHECK_MESSAGE(r.new_errors == 0, "new release: " << r.new_first_error);
  CHECK(r.inserted > 0);
  CHECK(r.final_rows == r.initial_rows + r.inserted);
  if (r.disagree >= 0) CHECK(r.disagree == 0);
  CHECK(r.after_contract == 0);
  std::string planned, original;
  for (auto& l : r.planned_schema) planned += l + "\n";
  for (auto& l : r.original_schema) original += l + "\n";
  CHECK(planned == original);
}

}  // namespace pgstage::test
