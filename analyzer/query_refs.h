// What a query of the running release uses, resolved statically against a Catalog (issue #17):
// tables (through aliases, joins, CTEs and subqueries), columns (qualified, or unqualified and found
// in one of the query's tables), and `*` (every column of the table). The parse tree is read here,
// in the analyzer; callers get typed results.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analyzer/catalog.h"
#include "analyzer/lower.h"

namespace pgstage {

struct QueryRefs {
  bool resolved = false;
  std::string unresolved;                                 // why not: does not parse, an unknown table, ...
  std::set<std::string> tables;                           // QualifiedName::str() of catalog tables
  std::set<std::pair<std::string, std::string>> columns;  // (table, column) named by the query
  std::set<std::string> star_tables;                      // tables read with * (all their columns)
  bool uses_table(const QualifiedName& t) const;
  bool uses_column(const QualifiedName& t, const std::string& column) const;  // named, or through *
};

QueryRefs resolve_query(const std::string& sql, const Catalog& catalog);

// The objects a statement renames, drops or retypes, that queries of the running release may use:
// a column (table + column) or a whole table (column "").
struct ChangedObject {
  QualifiedName table;
  std::string column;
  std::string str() const { return column.empty() ? table.str() : table.str() + "." + column; }
};
std::vector<ChangedObject> changed_objects(const LoweredStatement& st);
// Whether `refs` uses `o` (the table, or the column by name or through *).
bool uses(const QueryRefs& refs, const ChangedObject& o);

}  // namespace pgstage
