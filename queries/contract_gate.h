// The contract gate (issue #17): before a contract removes objects, pg_stat_statements is sampled
// twice, an interval apart; statements that use a removed object and whose calls grew meanwhile (or
// that first ran meanwhile) show that a release using it still runs, and the contract is refused.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "analyzer/catalog.h"
#include "analyzer/query_refs.h"
#include "queries/queries.h"

namespace pgstage::queries {

struct GateReport {
  bool available = false;            // pg_stat_statements is installed and readable
  std::string note;                  // why it was not checked (no extension, ...)
  std::vector<std::string> objects;  // what the contract renames, drops or retypes: users.name
  std::vector<std::string> running;  // "queryid N: SELECT name ... (calls 3 -> 5)"
  std::string error;                 // reading the schema or the view failed
  bool refuse() const { return !running.empty(); }
};

// The statements of `second` that use one of `objects` and ran during the interval: their calls grew
// since `first`, or they are not in `first` at all. "queryid N: SELECT ... (calls 3 -> 5)".
std::vector<std::string> grown_statements(const std::vector<Query>& first, const std::vector<Query>& second,
                                          const std::vector<ChangedObject>& objects, const Catalog& catalog);

// `contract_sql`: the SQL of the contract's steps. Reads the schema and pg_stat_statements of `url`
// (the database's own statements, every role), read-only.
GateReport sample_contract_gate(const std::string& url, const std::vector<std::string>& contract_sql,
                                std::chrono::milliseconds interval);

}  // namespace pgstage::queries
