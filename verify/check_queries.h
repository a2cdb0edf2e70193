// `pgstage check-queries` (issue #17): the running release's real queries, PREPAREd on a throwaway
// database at every point of a plan. The schema before the migration comes from its history replayed
// as written, or from a live database's or a snapshot's schema as SQL (as plan --verify builds it); the plan runs through the real executor. Points:
//   before         old queries that fail here already are reported as such, never blamed
//   after expand   old and new queries must work
//   after backfill old and new queries must work
//   after contract new queries must work; old ones that fail are expected (only the new release runs)
// A migration the planner does not stage is checked once, after it runs as written (old and new must
// work: the old release runs against it until the deploy ends). An old query's parameter types are
// the ones Postgres inferred before the migration (the types the running application binds), so a
// type change that no longer accepts them is found; a new query's are inferred at each point.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analyzer/lint.h"
#include "analyzer/source.h"
#include "planner/plan.h"
#include "queries/queries.h"

namespace pgstage::verify {

struct QueryCheckRequest {
  std::vector<MigrationEntry> history;  // the migrations before the file, in run order
  std::string start_sql;                // instead of the history: the schema as SQL (db/schema_sql.h)
  std::string start_source;             // where start_sql comes from, for messages
  std::string migration_path;
  planner::Plan plan;      // the plan (steps all "passthrough": not staged)
  std::string shadow_url;  // "" = temporary cluster
  LintOptions lint;
  std::vector<const Rule*> rules;
  std::vector<queries::Query> old_queries, new_queries;
  std::function<void(const std::string&)> log;
};

// What one query did at one point.
enum class QueryStatus {
  Ok,             // prepared
  Failed,         // must work here and does not: the migration (or plan) breaks it
  FailingBefore,  // an old query that already fails before the migration: not blamed
  Expected,       // an old query failing after the contract: only the new release runs then
  NotRequired,    // a new query failing before the migration: it may need the new schema
};
std::string_view status_name(QueryStatus s);

struct QueryOutcome {
  QueryStatus status = QueryStatus::Ok;
  std::string error;  // Postgres's message (first line)
  std::string sqlstate;
  std::vector<std::string> parameter_types;  // what it was prepared with
};

struct CheckPoint {
  std::string name;  // before, after-expand, after-backfill, after-contract, after-migration
  std::vector<QueryOutcome> old_results, new_results;  // one per query, in the request's order
};

struct QueryCheckReport {
  bool setup_ok = false;
  std::string error;   // setup: what failed (no cluster, history, executor)
  std::string shadow;  // "temporary cluster" or the redacted URL
  bool staged = false;
  std::vector<queries::Query> old_queries, new_queries;
  std::vector<CheckPoint> points;
  size_t failed = 0;  // query × point outcomes with status Failed
  double seconds = 0;
};

QueryCheckReport check_queries(const QueryCheckRequest& req);

}  // namespace pgstage::verify
