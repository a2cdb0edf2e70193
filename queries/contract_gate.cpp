#include "queries/contract_gate.h"

#include <map>
#include <thread>

#include "analyzer/lower.h"
#include "analyzer/parse.h"
#include "analyzer/query_refs.h"
#include "db/live_schema.h"
#include "queries/queries.h"

namespace pgstage::queries {

GateReport sample_contract_gate(const std::string& url, const std::vector<std::string>& contract_sql,
                                std::chrono::milliseconds interval) {
  GateReport rep;
  std::vector<ChangedObject> objects;
  for (auto& sql : contract_sql) {
    SourceFile f = make_source("contract", sql, Layout::Plain);
    for (auto& st : parse_source(f).statements) {
      if (st.error) continue;
      for (auto& o : changed_objects(lower(st, f))) {
        objects.push_back(o);
        rep.objects.push_back(o.str());
      }
    }
  }
  if (objects.empty()) {
    rep.available = true;
    return rep;
  }
  std::vector<Query> first;
  StatsSkipped skipped;
  std::string err;
  if (!load_pg_stat_statements(url, {}, first, skipped, err)) {
    rep.note = err;
    return rep;
  }
  rep.available = true;
  Catalog catalog;
  if (!db::read_live_catalog(url, catalog, err)) {
    rep.error = err;
    return rep;
  }
  std::map<std::int64_t, const Query*> watched;
  for (auto& q : first) {
    QueryRefs refs = resolve_query(q.sql, catalog);
    for (auto& o : objects)
      if (refs.resolved && uses(refs, o)) {
        watched[q.queryid] = &q;
        break;
      }
  }
  if (watched.empty()) return rep;
  std::this_thread::sleep_for(interval);
  std::vector<Query> second;
  if (!load_pg_stat_statements(url, {}, second, skipped, err)) {
    rep.error = err;
    return rep;
  }
  for (auto& q : second) {
    auto it = watched.find(q.queryid);
    if (it == watched.end() || q.calls <= it->second->calls) continue;
    rep.running.push_back("queryid " + std::to_string(q.queryid) + ": " + one_line(q.sql, 100) + " (calls " +
                          std::to_string(it->second->calls) + " -> " + std::to_string(q.calls) + ")");
  }
  return rep;
}

}  // namespace pgstage::queries
