// Helpers for the apply_* integration tests: a child process that runs apply in-process (for crash
// tests with hand-made plans), and hand-made plans for the unsafe test migration. The pgstage
// binary runs through tests/support/cli_run.h.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <vector>

#include "executor/apply.h"
#include "rules/registry.h"
#include "tests/support/cli_run.h"
#include "tests/support/pg_cluster.h"

namespace pgstage::test {

namespace fs = std::filesystem;

using MigrationDir = TempDir;  // a temporary migrations directory, removed at scope exit

inline std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `req` in a forked child with PGSTAGE_FAULT=fault (empty: none); returns how it ended.
inline proc::Result run_apply_child(const executor::ApplyRequest& req, const std::string& fault) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    if (!fault.empty()) setenv("PGSTAGE_FAULT", fault.c_str(), 1);
    executor::ApplyRequest r = req;
    r.out = [](const std::string&) {};
    auto res = executor::apply_migrations(r);
    _exit(res.exit_code);
  }
  return proc::wait(pid, std::chrono::minutes(5));
}

inline std::string q1(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  auto r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

inline void exec(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}

// 001 creates `items` with `rows` rows; 002 adds a required column (unsafe: adding-required-column).
inline void write_items_migrations(const MigrationDir& d, int rows) {
  d.write("001_items.sql",
          "CREATE TABLE items (id bigint PRIMARY KEY, n int NOT NULL, hits int NOT NULL DEFAULT 0);\n"
          "INSERT INTO items (id, n) SELECT g, g % 7 FROM generate_series(1, " +
              std::to_string(rows) + ") g;\n");
  d.write("002_code.sql", "ALTER TABLE items ADD COLUMN code text NOT NULL;\n");
}

// The plan for 002 a planner would make, plus a non-idempotent `hits = hits + 1` in the backfill
// so that a batch applied twice shows.
inline planner::Plan items_code_plan(int batch_size) {
  using planner::Phase;
  planner::Plan p;
  auto step = [&](std::string id, Phase ph, std::string kind, std::string sql, bool tx = true) {
    planner::Step s;
    s.id = std::move(id);
    s.phase = ph;
    s.kind = std::move(kind);
    s.sql = std::move(sql);
    s.transactional = tx;
    p.steps.push_back(std::move(s));
  };
  step("expand-1-add-column", Phase::Expand, "add-column", "ALTER TABLE \"items\" ADD COLUMN \"code\" text");
  step("expand-2-index", Phase::Expand, "create-index-concurrently",
       "CREATE INDEX CONCURRENTLY \"items_code_idx\" ON \"items\" (\"code\")", false);
  planner::Step b;
  b.id = "backfill-3";
  b.phase = Phase::Backfill;
  b.kind = "backfill";
  b.backfill =
      planner::BackfillSpec{{"", "items"}, {"id"}, "\"code\" = 'c' || \"id\", \"hits\" = \"hits\" + 1", "", batch_size};
  p.steps.push_back(b);
  step("contract-4-check", Phase::Contract, "add-constraint-not-valid",
       "ALTER TABLE \"items\" ADD CONSTRAINT \"items_code_not_null\" CHECK (\"code\" IS NOT NULL) NOT VALID");
  step("contract-5-validate", Phase::Contract, "validate-constraint",
       "ALTER TABLE \"items\" VALIDATE CONSTRAINT \"items_code_not_null\"");
  step("contract-6-set-not-null", Phase::Contract, "set-not-null",
       "ALTER TABLE \"items\" ALTER COLUMN \"code\" SET NOT NULL");
  step("contract-7-drop-check", Phase::Contract, "drop-constraint",
       "ALTER TABLE \"items\" DROP CONSTRAINT \"items_code_not_null\"");
  return p;
}

inline executor::ApplyRequest items_request(const MigrationDir& d, const std::string& url, const std::string& release,
                                            int batch_size, std::vector<std::string>* log = nullptr) {
  executor::ApplyRequest req;
  req.migrations_dir = d.path();
  req.database_url = url;
  req.release = release;
  req.rules = rules::all();
  req.settings.retry_base = std::chrono::milliseconds(50);
  req.settings.retry_cap = std::chrono::milliseconds(500);
  req.plan = [batch_size](const FileAnalysis& f, const planner::PlanOptions&) {
    planner::PlanResult r;
    if (f.file->path.find("002_code.sql") == std::string::npos) {
      r.error = f.file->path + ": unexpected plan request";
      return r;
    }
    r.ok = true;
    r.plan = items_code_plan(batch_size);
    return r;
  };
  if (log) req.out = [log](const std::string& l) { log->push_back(l); };
  return req;
}

inline std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (auto& l : v) s += l + "\n";
  return s;
}

}  // namespace pgstage::test
