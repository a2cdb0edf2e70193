// The schema as known before a statement runs: replayed from history (earlier migrations),
// read from a live database, and updated by each statement under review.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/change.h"

namespace pgstage {

struct CatalogColumn {
  std::string name;
  TypeName type;
  bool not_null = false;
  Boxed<Expr> default_expr;  // boxed: a catalog holds hundreds of thousands of columns
  bool identity = false;
  bool generated = false;
  bool created_in_review = false;
};

// The column a CHECK expression proves non-null (`col IS NOT NULL`, parenthesised or quoted), or "".
std::string not_null_column_of_check(const std::string& sql);

struct CatalogConstraint {
  std::string name;
  ConstraintKind kind = ConstraintKind::Check;
  std::vector<std::string> columns;
  QualifiedName ref_table;
  std::vector<std::string> ref_columns;
  std::string check_sql;
  // FK: MATCH / ON UPDATE / ON DELETE / DEFERRABLE clauses as SQL (" ON DELETE CASCADE"); PRIMARY KEY /
  // UNIQUE: " DEFERRABLE [INITIALLY DEFERRED]"; "" for the defaults.
  std::string options;
  bool validated = true;
  bool created_in_review = false;
  // For CHECK (col IS NOT NULL): the column it proves non-null.
  std::string not_null_column;
};

struct CatalogIndex {
  std::string name;
  QualifiedName table;
  std::vector<std::string> columns;
  bool unique = false;
  bool valid = true;
  bool created_in_review = false;
  // The whole definition (see CreateIndex): access method ("" = btree), per-key options, INCLUDE
  // columns, predicate.
  std::string method;
  std::vector<std::string> key_options;
  std::vector<std::string> include;
  std::string where_sql;
  IndexStorage storage;  // NULLS NOT DISTINCT, WITH (...), TABLESPACE
};

struct CatalogTable {
  QualifiedName name;
  std::string kind = "table";  // table | view | matview | partitioned
  QualifiedName partition_of;  // the partitioned table this one is a partition of, when known
  std::vector<CatalogColumn> columns;
  std::vector<CatalogConstraint> constraints;
  bool created_in_review = false;
  std::optional<double> row_estimate;  // from a live database or a stats file
  std::optional<double> total_bytes;
  // Where the rows come from, as far as the migrations show (a live database gives row_estimate).
  // Seeded: the migrations created the table and wrote its rows with INSERT ... VALUES only (a lookup
  // or seed table: small). Copied: CREATE TABLE AS (or INSERT ... SELECT / COPY / MERGE) filled it
  // from other tables, so a constraint or index added later scans those rows.
  enum class Rows { Unknown, Seeded, Copied };
  Rows rows = Rows::Unknown;
  std::vector<QualifiedName> copied_from;  // the tables CREATE TABLE AS / INSERT ... SELECT copied rows from
  bool created_by_migrations = false;  // by a CREATE TABLE the migrations hold (not read from a database)

  const CatalogColumn* column(const std::string& n) const;
  CatalogColumn* column(const std::string& n);
  const CatalogConstraint* constraint(const std::string& n) const;
  bool has_primary_key() const;
};

struct CatalogObject {  // enums, sequences, functions, schemas, ...
  std::string kind;
  QualifiedName name;
  std::vector<std::string> values;  // enum labels
  bool created_in_review = false;
  bool constrained = false;  // a domain with CHECK or NOT NULL constraints
  bool internal = false;     // not named by application code: a trigger function, an owned sequence
};

class Catalog {
 public:
  // Looks a table (or view) up by name; an unqualified name also matches schema `public`.
  const CatalogTable* table(const QualifiedName& n) const;
  CatalogTable* table(const QualifiedName& n);
  const CatalogIndex* index(const QualifiedName& n) const;
  const CatalogObject* object(const std::string& kind, const QualifiedName& n) const;
  std::vector<const CatalogIndex*> indexes_on(const QualifiedName& table) const;

  // Whether `table` is known and was created in the change set under review (nothing reads it yet).
  bool is_new(const QualifiedName& table) const;
  bool knows(const QualifiedName& n) const { return table(n) != nullptr; }

  // Applies a Change. `in_review` marks objects it creates as new.
  void apply(const Change& c, bool in_review);

  // Adds a table wholesale (live database snapshot).
  void put_table(CatalogTable t);
  void put_index(CatalogIndex i);
  void put_object(CatalogObject o);
  // Marks every object as existing (end of a change set).
  void mark_all_existing();

  // Every table, index and object, ordered by key (deterministic output).
  std::vector<const CatalogTable*> tables() const { return sorted(tables_); }
  std::vector<const CatalogIndex*> indexes() const { return sorted(indexes_); }
  std::vector<const CatalogObject*> objects() const { return sorted(objects_); }
  // Tables with a foreign key to `table`, ordered by key.
  std::vector<const CatalogTable*> tables_referencing(const QualifiedName& table) const;
  // The tables known to be partitions of `table` (direct ones), sorted by name.
  std::vector<const CatalogTable*> partitions_of(const QualifiedName& table) const;

  // Normalized lookup key: schema "public" is implied when absent.
  static std::string key(const QualifiedName& n);
  // key(a) == key(b), without building the keys.
  static bool same(const QualifiedName& a, const QualifiedName& b);

 private:
  // Hash maps: linting thousands of files looks tables up by name for nearly every statement.
  std::unordered_map<std::string, CatalogTable> tables_;
  std::unordered_map<std::string, CatalogIndex> indexes_;
  std::unordered_map<std::string, CatalogObject> objects_;  // key: kind + ":" + key(name)
  // Keys of what may hold a created_in_review flag, so mark_all_existing() touches only those
  // (sweeping the whole catalog after every file made linting N files quadratic).
  std::vector<std::string> review_tables_, review_indexes_, review_objects_;
  bool applying_in_review_ = false;
  // Index keys by table key, so per-table index lookups do not scan every index. May hold stale
  // keys (dropped or renamed indexes): users check the index's table again.
  std::unordered_map<std::string, std::set<std::string>> indexes_by_table_;
  std::vector<std::unordered_map<std::string, CatalogIndex>::iterator> indexes_of(const std::string& table_key);
  // The last few table() answers (so a const Catalog is not safe to share between threads).
  // Copies start empty: the pointers belong to the catalog that looked them up.
  struct RecentLookups {
    static constexpr size_t kSize = 4;
    struct Entry {
      bool valid = false;
      QualifiedName name;  // as asked
      const CatalogTable* table = nullptr;
    } entries[kSize];
    size_t next = 0;
    RecentLookups() = default;
    RecentLookups(const RecentLookups&) {}
    RecentLookups& operator=(const RecentLookups&) {
      clear();
      return *this;
    }
    void clear() {
      for (auto& e : entries) e.valid = false;
    }
  };
  mutable RecentLookups recent_;
  void forget_lookups() { recent_.clear(); }
  template <class V>
  static std::vector<const V*> sorted(const std::unordered_map<std::string, V>& m) {
    std::vector<std::pair<const std::string*, const V*>> v;
    v.reserve(m.size());
    for (auto& [k, x] : m) v.emplace_back(&k, &x);
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return *a.first < *b.first; });
    std::vector<const V*> out;
    out.reserve(v.size());
    for (auto& e : v) out.push_back(e.second);
    return out;
  }
};

}  // namespace pgstage
