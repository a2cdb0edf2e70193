#include "analyzer/catalog.h"

#include <algorithm>
#include <functional>
#include <set>

#include "analyzer/rule_api.h"

namespace pgstage {

std::string not_null_column_of_check(const std::string& sql) {
  // Recognizes `col IS NOT NULL` (optionally parenthesized / quoted) as proof of non-nullness.
  std::string s;
  for (char c : sql)
    if (c != '(' && c != ')') s += c;
  auto trim = [](std::string x) {
    while (!x.empty() && std::isspace(static_cast<unsigned char>(x.front()))) x.erase(x.begin());
    while (!x.empty() && std::isspace(static_cast<unsigned char>(x.back()))) x.pop_back();
    return x;
  };
  s = trim(s);
  std::string lower;
  for (char c : s) lower += char(std::tolower(static_cast<unsigned char>(c)));
  const std::string suffix = " is not null";
  if (lower.size() <= suffix.size() || lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) != 0)
    return {};
  std::string col = trim(s.substr(0, s.size() - suffix.size()));
  if (col.size() >= 2 && col.front() == '"' && col.back() == '"') return col.substr(1, col.size() - 2);
  for (char c : col)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return {};
  std::string lc;
  for (char c : col) lc += char(std::tolower(static_cast<unsigned char>(c)));
  return lc;
}

namespace {


// `columns`: the table's, to name an unnamed table CHECK as Postgres does (after the first column
// its expression references).
CatalogConstraint to_catalog(const Constraint& c, bool in_review, const std::string& table_name,
                             const std::string& column = {}, const std::vector<CatalogColumn>* columns = nullptr) {
  CatalogConstraint cc;
  cc.kind = c.kind;
  cc.columns = c.columns;
  if (cc.columns.empty() && !column.empty()) cc.columns = {column};
  cc.ref_table = c.ref_table;
  cc.ref_columns = c.ref_columns;
  cc.options = c.kind == ConstraintKind::ForeignKey ? c.fk_options : c.deferral;
  cc.validated = !c.not_valid;
  cc.created_in_review = in_review;
  if (c.check) {
    cc.check_sql = c.check->sql;
    cc.not_null_column = not_null_column_of_check(c.check->sql);
  }
  cc.name = c.name;
  if (cc.name.empty()) {
    // Postgres' default names: <table>_<col>_check / _fkey / _key / _pkey.
    std::string cols = cc.columns.empty() ? std::string() : cc.columns.front();
    if (c.kind == ConstraintKind::Check) {
      // After the one column its expression references; none when it references several (or none).
      std::set<std::string> refs;
      for (auto& ref : column_refs_in(cc.check_sql))
        if (!columns ||
            std::any_of(columns->begin(), columns->end(), [&](auto& col) { return col.name == ref.name; }))
          refs.insert(ref.name);
      if (!refs.empty() || columns) cols = refs.size() == 1 ? *refs.begin() : "";
    }
    switch (c.kind) {
      case ConstraintKind::Check:
        cc.name = table_name + (cols.empty() ? "" : "_" + cols) + "_check";
        break;
      case ConstraintKind::ForeignKey:  // named after all its columns, as a UNIQUE is
        cc.name = pg_default_name(table_name, cc.columns, "fkey");
        break;
      case ConstraintKind::Unique:
        cc.name = pg_default_name(table_name, cc.columns, "key");
        break;
      case ConstraintKind::PrimaryKey:
        cc.name = pg_default_name(table_name, "", "pkey");
        break;
      case ConstraintKind::Exclusion:
        cc.name = pg_default_name(table_name, cc.columns, "excl");
        break;
      case ConstraintKind::NotNull:
        cc.name = table_name + "_" + cols + "_not_null";
        break;
    }
  }
  return cc;
}

// The index that backs PRIMARY KEY / UNIQUE constraint `k` (catalog form `cc`).
CatalogIndex key_index(const Constraint& k, const CatalogConstraint& cc, const QualifiedName& table, bool in_review) {
  CatalogIndex i{cc.name, table, cc.columns, true, true, in_review};
  i.include = k.include;
  i.storage = k.storage;
  return i;
}

template <class F>
void erase_if(std::vector<F>& v, const std::function<bool(const F&)>& pred) {
  v.erase(std::remove_if(v.begin(), v.end(), pred), v.end());
}

}  // namespace

const CatalogColumn* CatalogTable::column(const std::string& n) const {
  for (auto& c : columns)
    if (c.name == n) return &c;
  return nullptr;
}
CatalogColumn* CatalogTable::column(const std::string& n) {
  for (auto& c : columns)
    if (c.name == n) return &c;
  return nullptr;
}
const CatalogConstraint* CatalogTable::constraint(const std::string& n) const {
  for (auto& c : constraints)
    if (c.name == n) return &c;
  return nullptr;
}
bool CatalogTable::has_primary_key() const {
  return std::any_of(constraints.begin(), constraints.end(),
                     [](const CatalogConstraint& c) { return c.kind == ConstraintKind::PrimaryKey; });
}

std::string Catalog::key(const QualifiedName& n) {
  return (n.schema.empty() ? std::string("public") : n.schema) + "." + n.name;
}

bool Catalog::same(const QualifiedName& a, const QualifiedName& b) {
  std::string_view sa = a.schema.empty() ? std::string_view("public") : std::string_view(a.schema);
  std::string_view sb = b.schema.empty() ? std::string_view("public") : std::string_view(b.schema);
  return a.name == b.name && sa == sb;
}

namespace {
// key(n) in a per-thread buffer, for look-ups (no allocation once the buffer has grown).
const std::string& lookup_key(const QualifiedName& n) {
  thread_local std::string buf;
  buf.assign(n.schema.empty() ? std::string_view("public") : std::string_view(n.schema));
  buf += '.';
  buf += n.name;
  return buf;
}
}  // namespace

const CatalogTable* Catalog::table(const QualifiedName& n) const {
  // Rules ask about the same few tables many times per statement: remember the last answers
  // (cleared by every change to the catalog).
  for (auto& e : recent_.entries)
    if (e.valid && same(e.name, n)) return e.table;
  auto it = tables_.find(lookup_key(n));
  const CatalogTable* t = it == tables_.end() ? nullptr : &it->second;
  auto& e = recent_.entries[recent_.next++ % RecentLookups::kSize];
  e.valid = true;
  e.name = n;
  e.table = t;
  return t;
}
CatalogTable* Catalog::table(const QualifiedName& n) {
  auto it = tables_.find(lookup_key(n));
  if (it == tables_.end()) return nullptr;
  if (applying_in_review_) review_tables_.push_back(it->first);
  return &it->second;
}
const CatalogIndex* Catalog::index(const QualifiedName& n) const {
  auto it = indexes_.find(lookup_key(n));
  return it == indexes_.end() ? nullptr : &it->second;
}
const CatalogObject* Catalog::object(const std::string& kind, const QualifiedName& n) const {
  auto it = objects_.find(kind + ":" + key(n));
  return it == objects_.end() ? nullptr : &it->second;
}
std::vector<std::unordered_map<std::string, CatalogIndex>::iterator> Catalog::indexes_of(const std::string& k) {
  std::vector<std::unordered_map<std::string, CatalogIndex>::iterator> out;
  auto bt = indexes_by_table_.find(k);
  if (bt == indexes_by_table_.end()) return out;
  for (auto ik = bt->second.begin(); ik != bt->second.end();) {
    auto it = indexes_.find(*ik);
    if (it != indexes_.end() && lookup_key(it->second.table) == k) {
      out.push_back(it);
      ++ik;
    } else {
      ik = bt->second.erase(ik);  // stale: dropped, renamed or moved
    }
  }
  return out;
}
std::vector<const CatalogIndex*> Catalog::indexes_on(const QualifiedName& t) const {
  std::vector<const CatalogIndex*> out;
  auto bt = indexes_by_table_.find(lookup_key(t));
  if (bt == indexes_by_table_.end()) return out;
  for (auto& ik : bt->second) {
    auto it = indexes_.find(ik);
    if (it != indexes_.end() && same(it->second.table, t)) out.push_back(&it->second);
  }
  return out;
}
std::vector<const CatalogTable*> Catalog::partitions_of(const QualifiedName& table) const {
  std::vector<const CatalogTable*> out;
  for (const CatalogTable* t : tables())
    if (!t->partition_of.empty() && same(t->partition_of, table)) out.push_back(t);
  return out;
}

std::vector<const CatalogTable*> Catalog::tables_referencing(const QualifiedName& table) const {
  std::vector<std::pair<const std::string*, const CatalogTable*>> found;
  for (auto& [k, t] : tables_)
    for (auto& c : t.constraints)
      if (c.kind == ConstraintKind::ForeignKey && same(c.ref_table, table)) {
        found.emplace_back(&k, &t);
        break;
      }
  std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return *a.first < *b.first; });
  std::vector<const CatalogTable*> out;
  for (auto& e : found) out.push_back(e.second);
  return out;
}

bool Catalog::is_new(const QualifiedName& t) const {
  auto* tab = table(t);
  return tab && tab->created_in_review;
}
void Catalog::put_table(CatalogTable t) {
  forget_lookups();
  std::string k = key(t.name);
  if (applying_in_review_ || t.created_in_review) review_tables_.push_back(k);
  tables_[k] = std::move(t);
}
void Catalog::put_index(CatalogIndex i) {
  forget_lookups();
  std::string k = key(QualifiedName{i.table.schema, i.name});
  if (applying_in_review_ || i.created_in_review) review_indexes_.push_back(k);
  indexes_by_table_[key(i.table)].insert(k);
  indexes_[k] = std::move(i);
}
void Catalog::put_object(CatalogObject o) {
  forget_lookups();
  std::string k = o.kind + ":" + key(o.name);
  if (applying_in_review_ || o.created_in_review) review_objects_.push_back(k);
  objects_[k] = std::move(o);
}

void Catalog::apply(const Change& change, bool in_review) {
  forget_lookups();
  applying_in_review_ = in_review;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{applying_in_review_};
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateTable>) {
          if (c.if_not_exists && table(c.table)) return;
          CatalogTable t;
          t.name = c.table;
          if (c.partitioned) t.kind = "partitioned";
          t.partition_of = c.partition_of;
          t.created_in_review = in_review;
          t.created_by_migrations = true;
          if (c.as_select && c.with_data) t.rows = CatalogTable::Rows::Copied;
          t.copied_from = c.copied_from;
          t.columns.reserve(c.columns.size());
          std::vector<CatalogIndex> key_indexes;  // unique and primary keys are backed by indexes
          auto add = [&](const Constraint& k, CatalogConstraint cc) {
            // CREATE TABLE marks its CHECKs and foreign keys valid whatever they say: the table is
            // empty (parse_utilcmd.c overrides a user-supplied NOT VALID).
            cc.validated = true;
            if (k.kind == ConstraintKind::PrimaryKey || k.kind == ConstraintKind::Unique)
              key_indexes.push_back(key_index(k, cc, c.table, in_review));
            t.constraints.push_back(std::move(cc));
          };
          for (auto& col : c.columns) {
            CatalogColumn cc{col.name,         col.type,     col.not_null || col.primary_key,
                             col.default_expr, col.identity, col.generated_stored,
                             in_review};
            t.columns.push_back(std::move(cc));
            for (auto& k : col.constraints) add(k, to_catalog(k, in_review, c.table.name, col.name));
          }
          for (auto& k : c.constraints) {
            add(k, to_catalog(k, in_review, c.table.name, {}, &t.columns));
            if (k.kind == ConstraintKind::PrimaryKey)
              for (auto& colname : k.columns)
                if (auto* col = t.column(colname)) col->not_null = true;
          }
          for (auto& i : key_indexes) put_index(std::move(i));
          put_table(std::move(t));
        } else if constexpr (std::is_same_v<T, AddColumn>) {
          auto* t = table(c.table);
          if (!t || t->column(c.column.name)) return;
          t->columns.push_back(CatalogColumn{c.column.name, c.column.type, c.column.not_null || c.column.primary_key,
                                             c.column.default_expr, c.column.identity, c.column.generated_stored,
                                             in_review});
          for (auto& k : c.column.constraints) {
            auto cc = to_catalog(k, in_review, c.table.name, c.column.name);
            if (k.kind == ConstraintKind::PrimaryKey || k.kind == ConstraintKind::Unique)
              put_index(key_index(k, cc, c.table, in_review));
            t->constraints.push_back(std::move(cc));
          }
        } else if constexpr (std::is_same_v<T, DropColumn>) {
          if (auto* t = table(c.table)) {
            erase_if<CatalogColumn>(t->columns, [&](const CatalogColumn& x) { return x.name == c.column; });
            erase_if<CatalogConstraint>(t->constraints, [&](const CatalogConstraint& x) {
              return std::find(x.columns.begin(), x.columns.end(), c.column) != x.columns.end();
            });
          }
          for (auto it : indexes_of(key(c.table)))
            if (std::find(it->second.columns.begin(), it->second.columns.end(), c.column) != it->second.columns.end())
              indexes_.erase(it);
        } else if constexpr (std::is_same_v<T, RenameColumn>) {
          // Everything that names the column by number follows it: the table's constraints (and
          // their CHECK text), its indexes (keys, INCLUDE, predicate), foreign keys to it.
          auto follow = [&](std::vector<std::string>& names) {
            for (auto& n : names)
              if (n == c.column) n = c.new_name;
          };
          if (auto* t = table(c.table)) {
            if (auto* col = t->column(c.column)) col->name = c.new_name;
            for (auto& k : t->constraints) {
              follow(k.columns);
              if (!k.check_sql.empty()) {
                k.check_sql = rename_column_refs(k.check_sql, c.column, c.new_name);
                k.not_null_column = not_null_column_of_check(k.check_sql);
              }
            }
          }
          for (auto& [_, r] : tables_)
            for (auto& k : r.constraints)
              if (k.kind == ConstraintKind::ForeignKey && same(k.ref_table, c.table)) follow(k.ref_columns);
          for (auto it : indexes_of(key(c.table))) {
            follow(it->second.columns);
            follow(it->second.include);
            if (!it->second.where_sql.empty())
              it->second.where_sql = rename_column_refs(it->second.where_sql, c.column, c.new_name);
          }
        } else if constexpr (std::is_same_v<T, RenameTable>) {
          auto it = tables_.find(key(c.table));
          if (it == tables_.end()) return;
          CatalogTable t = std::move(it->second);
          tables_.erase(it);
          t.name.name = c.new_name;
          std::string new_key = key(t.name);
          QualifiedName old_name = t.name;
          old_name.name = c.table.name;
          for (auto it : indexes_of(key(c.table))) {
            it->second.table = t.name;
            indexes_by_table_[new_key].insert(it->first);
          }
          indexes_by_table_.erase(key(c.table));  // a table created later under the old name has none of them
          // Foreign keys to it and partitions of it follow the new name, so later lock facts and
          // findings name the table as it is now called.
          for (auto& [_, other] : tables_) {
            for (auto& k : other.constraints)
              if (!k.ref_table.empty() && same(k.ref_table, old_name)) k.ref_table = t.name;
            if (!other.partition_of.empty() && same(other.partition_of, old_name)) other.partition_of = t.name;
          }
          put_table(std::move(t));
        } else if constexpr (std::is_same_v<T, AlterColumnType>) {
          if (auto* t = table(c.table))
            if (auto* col = t->column(c.column)) col->type = c.new_type;
        } else if constexpr (std::is_same_v<T, SetNotNull>) {
          if (auto* t = table(c.table))
            if (auto* col = t->column(c.column)) col->not_null = true;
        } else if constexpr (std::is_same_v<T, DropNotNull>) {
          if (auto* t = table(c.table))
            if (auto* col = t->column(c.column)) col->not_null = false;
        } else if constexpr (std::is_same_v<T, SetDefault>) {
          if (auto* t = table(c.table))
            if (auto* col = t->column(c.column)) col->default_expr = c.expr;
        } else if constexpr (std::is_same_v<T, DropDefault>) {
          if (auto* t = table(c.table))
            if (auto* col = t->column(c.column)) col->default_expr.reset();
        } else if constexpr (std::is_same_v<T, AddConstraint>) {
          auto* t = table(c.table);
          if (!t) return;
          auto cc = to_catalog(c.constraint, in_review, c.table.name, {}, &t->columns);
          if (!c.constraint.using_index.empty()) {
            if (auto* idx = index(QualifiedName{c.table.schema, c.constraint.using_index})) cc.columns = idx->columns;
            if (c.constraint.name.empty()) cc.name = c.constraint.using_index;
            // The index is renamed to the constraint's name.
            auto it = indexes_.find(key(QualifiedName{c.table.schema, c.constraint.using_index}));
            if (it != indexes_.end()) {
              CatalogIndex i = std::move(it->second);
              indexes_.erase(it);
              i.name = cc.name;
              put_index(std::move(i));
            }
          } else if (c.constraint.kind == ConstraintKind::PrimaryKey || c.constraint.kind == ConstraintKind::Unique) {
            put_index(key_index(c.constraint, cc, c.table, in_review));
          }
          if (c.constraint.kind == ConstraintKind::PrimaryKey)
            for (auto& n : cc.columns)
              if (auto* col = t->column(n)) col->not_null = true;
          t->constraints.push_back(std::move(cc));
        } else if constexpr (std::is_same_v<T, ValidateConstraint>) {
          if (auto* t = table(c.table))
            for (auto& k : t->constraints)
              if (k.name == c.name) k.validated = true;
        } else if constexpr (std::is_same_v<T, DropConstraint>) {
          if (auto* t = table(c.table))
            erase_if<CatalogConstraint>(t->constraints, [&](const CatalogConstraint& x) { return x.name == c.name; });
          indexes_.erase(key(QualifiedName{c.table.schema, c.name}));
        } else if constexpr (std::is_same_v<T, CreateIndex>) {
          std::string name = c.name;
          if (name.empty()) {
            name = c.table.name;
            for (auto& col : c.columns) name += "_" + col;
            name += "_idx";
          }
          if (index(QualifiedName{c.table.schema, name})) return;
          put_index(CatalogIndex{name, c.table, c.columns, c.unique, true, in_review || is_new(c.table), c.method,
                                 c.key_options, c.include, c.where_sql, c.storage});
        } else if constexpr (std::is_same_v<T, DropIndex>) {
          for (auto& n : c.names) indexes_.erase(key(n));
        } else if constexpr (std::is_same_v<T, DropTable>) {
          for (auto& n : c.tables) {
            tables_.erase(key(n));
            for (auto it : indexes_of(key(n))) indexes_.erase(it);
            indexes_by_table_.erase(key(n));
          }
        } else if constexpr (std::is_same_v<T, CreateView>) {
          CatalogTable t;
          t.name = c.name;
          t.kind = c.materialized ? "matview" : "view";
          t.created_in_review = in_review;
          if (auto* old = table(c.name); old && c.or_replace) t.created_in_review = old->created_in_review;
          put_table(std::move(t));
        } else if constexpr (std::is_same_v<T, CreateEnum>) {
          put_object(CatalogObject{"type", c.name, c.values, in_review});
        } else if constexpr (std::is_same_v<T, AlterEnumAddValue>) {
          auto it = objects_.find("type:" + key(c.type));
          if (it != objects_.end()) it->second.values.push_back(c.value);
        } else if constexpr (std::is_same_v<T, AlterDomain>) {
          if (c.action == AlterDomain::Action::AddConstraint || c.action == AlterDomain::Action::SetNotNull) {
            auto it = objects_.find("domain:" + key(c.domain));
            if (it != objects_.end()) it->second.constrained = true;
          }
        } else if constexpr (std::is_same_v<T, CreateOther>) {
          put_object(CatalogObject{c.kind, c.name, {}, in_review, c.constrained, c.internal});
        } else if constexpr (std::is_same_v<T, DropObject>) {
          for (auto& n : c.names) {
            objects_.erase(c.kind + ":" + key(n));
            if (c.kind == "view" || c.kind == "materialized view") tables_.erase(key(n));
          }
        } else if constexpr (std::is_same_v<T, RenameObject>) {
          if (c.kind == "index") {
            auto it = indexes_.find(key(c.name));
            if (it != indexes_.end()) {
              CatalogIndex i = std::move(it->second);
              indexes_.erase(it);
              i.name = c.new_name;
              put_index(std::move(i));
            }
          } else if (c.kind == "constraint") {
            if (auto* t = table(c.table))
              for (auto& k : t->constraints)
                if (k.name == c.old_value) k.name = c.new_name;
          } else {
            auto it = objects_.find(c.kind + ":" + key(c.name));
            if (it != objects_.end()) {
              CatalogObject o = std::move(it->second);
              objects_.erase(it);
              o.name.name = c.new_name;
              put_object(std::move(o));
            }
            // A renamed type (enum, domain, composite): the columns that use it follow the new name.
            if (c.kind == "type" || c.kind == "domain") {
              auto same_schema = [&](const std::string& s) {
                return s == c.name.schema || (s.empty() && c.name.schema == "public") ||
                       (c.name.schema.empty() && s == "public");
              };
              for (auto& [k, t] : tables_)
                for (auto& col : t.columns)
                  if (col.type.name == c.old_value && same_schema(col.type.schema)) col.type.name = c.new_name;
            }
          }
        } else if constexpr (std::is_same_v<T, Dml>) {
          auto* t = table(c.table);
          if (!t) return;
          for (auto& src : c.copied_from)
            if (std::none_of(t->copied_from.begin(), t->copied_from.end(), [&](auto& x) { return same(x, src); }))
              t->copied_from.push_back(src);
          if (t->row_estimate) return;
          bool values = c.kind == DmlKind::Insert && !c.from_select;
          if (values && t->rows == CatalogTable::Rows::Unknown && t->created_by_migrations)
            t->rows = CatalogTable::Rows::Seeded;
          else if (!values && c.kind != DmlKind::Update && c.kind != DmlKind::Delete)
            t->rows = CatalogTable::Rows::Copied;
        } else if constexpr (std::is_same_v<T, Truncate>) {
          for (auto& n : c.tables)
            if (auto* t = table(n)) {
              if (t->rows == CatalogTable::Rows::Copied) t->rows = CatalogTable::Rows::Unknown;
              t->copied_from.clear();
            }
        } else if constexpr (std::is_same_v<T, AttachPartition>) {
          // The partition keeps its own columns; only the parent link is modelled.
          if (auto* t = table(c.partition)) t->partition_of = c.parent;
        } else if constexpr (std::is_same_v<T, DetachPartition>) {
          if (auto* t = table(c.partition)) t->partition_of = {};
        }
      },
      change.value);
}

}  // namespace pgstage
