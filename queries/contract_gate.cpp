#include "queries/contract_gate.h"

#include <algorithm>
#include <map>
#include <thread>

#include "analyzer/lower.h"
#include "analyzer/parse.h"
#include "analyzer/query_refs.h"
#include "db/live_schema.h"
#include "queries/queries.h"

namespace pgstage::queries {

std::vector<std::string> grown_statements(const std::vector<Query>& first, const std::vector<Query>& second,
                                          const std::vector<ChangedObject>& objects, const Catalog& catalog) {
  std::map<std::int64_t, long long> calls_before;
  for (auto& q : first) calls_before[q.queryid] = q.calls;
  std::vector<std::string> out;
  for (auto& q : second) {
    auto it = calls_before.find(q.queryid);
    long long before = it == calls_before.end() ? 0 : it->second;  // new: first run during the interval
    if (q.calls <= before) continue;
    QueryRefs refs = resolve_query(q.sql, catalog);
    if (!refs.resolved || std::none_of(objects.begin(), objects.end(), [&](auto& o) { return uses(refs, o); }))
      continue;
    out.push_back("queryid " + std::to_string(q.queryid) + ": " + one_line(q.sql, 100) + " (calls " +
                  std::to_string(before) + " -> " + std::to_string(q.calls) +
                  (it == calls_before.end() ? ", first seen in the interval)" : ")"));
  }
  return out;
}

GateReport sample_contract_gate(const std::string& url, const std::vector<std::string>& contract_sql,
                                std::chrono::milliseconds interval) {
  GateReport rep;
  std::vector<ChangedObject> objects;
  std::vector<ChangedObject> renamed_onto;  // a staged rename drops the copy, then renames onto its name
  for (auto& sql : contract_sql) {
    SourceFile f = make_source("contract", sql, Layout::Plain);
    for (auto& st : parse_source(f).statements) {
      if (st.error) continue;
      LoweredStatement lo = lower(st, f);
      for (auto& c : lo.changes)
        if (auto* r = c.as<RenameColumn>()) renamed_onto.push_back(ChangedObject{r->table, r->new_name});
      for (auto& o : changed_objects(lo)) objects.push_back(o);
    }
  }
  std::erase_if(objects, [&](const ChangedObject& o) {
    return !o.column.empty() && std::any_of(renamed_onto.begin(), renamed_onto.end(), [&](const ChangedObject& r) {
      return Catalog::same(r.table, o.table) && r.column == o.column;
    });
  });
  for (auto& o : objects) rep.objects.push_back(o.str());
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
  // The second sample is taken even when no statement of the first uses a removed object: one the
  // old release runs for the first time during the interval shows it still runs just as well.
  std::this_thread::sleep_for(interval);
  std::vector<Query> second;
  if (!load_pg_stat_statements(url, {}, second, skipped, err)) {
    rep.error = err;
    return rep;
  }
  rep.running = grown_statements(first, second, objects, catalog);
  return rep;
}

}  // namespace pgstage::queries
