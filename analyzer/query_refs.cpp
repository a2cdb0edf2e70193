#include "analyzer/query_refs.h"

#include <map>
#include <vector>

#include "analyzer/parse.h"
#include "analyzer/parse_tree.h"

namespace pgstage {

namespace {

struct Walk {
  const Catalog& catalog;
  std::set<std::string> cte_names;
  std::map<std::string, std::string> aliases;                    // alias or bare name -> table key
  std::vector<std::pair<std::string, std::string>> colrefs;      // (qualifier or "", column or "*")
  std::vector<std::pair<std::string, std::string>> target_cols;  // (table key, column) of INSERT/UPDATE targets
  std::string unknown;
  std::map<std::string, const CatalogTable*> by_key;

  std::string add_range(JsonView rv) {
    std::string schema(rv["schemaname"].string_or());
    std::string rel(rv["relname"].string_or());
    if (schema.empty() && cte_names.count(rel)) return "";
    const CatalogTable* t = catalog.table(QualifiedName{schema, rel});
    if (!t) {
      if (unknown.empty()) unknown = "unknown table " + (schema.empty() ? rel : schema + "." + rel);
      return "";
    }
    std::string key = t->name.str();
    by_key[key] = t;
    aliases[rel] = key;
    std::string alias(rv["alias"]["aliasname"].string_or());
    if (!alias.empty()) aliases[alias] = key;
    return key;
  }

  // CTE names first: libpg_query writes a statement's withClause after its FROM.
  void collect_ctes(JsonView v) {
    if (v.is_array()) {
      for (auto e : v.elements()) collect_ctes(e);
      return;
    }
    v.for_each_member([&](std::string_view key, JsonView body) {
      if (key == "CommonTableExpr") cte_names.insert(std::string(body["ctename"].string_or()));
      collect_ctes(body);
    });
  }

  void walk(JsonView v) {
    if (v.is_array()) {
      for (auto e : v.elements()) walk(e);
      return;
    }
    if (!v.is_object()) return;
    v.for_each_member([&](std::string_view key, JsonView body) {
      if (key == "CommonTableExpr") {
        cte_names.insert(std::string(body["ctename"].string_or()));
      } else if (key == "RangeVar") {
        add_range(body);
        return;
      } else if (key == "InsertStmt" || key == "UpdateStmt" || key == "DeleteStmt" || key == "MergeStmt") {
        // Walk the WITH first (CTE names), then the target relation.
        walk(body["withClause"]);
        std::string target = add_range(body["relation"]);
        auto cols = key == "InsertStmt" ? body["cols"] : key == "UpdateStmt" ? body["targetList"] : JsonView();
        for (auto c : cols.elements()) {
          std::string name(c["ResTarget"]["name"].string_or());
          if (!target.empty() && !name.empty()) target_cols.push_back({target, name});
        }
        body.for_each_member([&](std::string_view k, JsonView b) {
          if (k == "withClause" || k == "relation") return;
          if (k == "cols") return;
          if (k == "targetList" && key == "UpdateStmt") {
            for (auto c : b.elements()) walk(c["ResTarget"]["val"]);
            return;
          }
          walk(b);
        });
        return;
      } else if (key == "ColumnRef") {
        std::vector<std::string> parts;
        bool star = false;
        for (auto f : body["fields"].elements()) {
          if (f["A_Star"].is_object())
            star = true;
          else
            parts.push_back(std::string(f["String"]["sval"].string_or()));
        }
        std::string col = star ? "*" : (parts.empty() ? "" : parts.back());
        std::string qual;
        if (star && !parts.empty()) qual = parts.back();
        if (!star && parts.size() >= 2) qual = parts[parts.size() - 2];
        colrefs.push_back({qual, col});
        return;
      }
      walk(body);
    });
  }
};

}  // namespace

namespace {
// The keys a table may have in QueryRefs: as written, and with or without `public.`.
std::vector<std::string> keys_of(const QualifiedName& t) {
  if (t.schema.empty() || t.schema == "public") return {t.name, "public." + t.name};
  return {t.str()};
}
}  // namespace

bool QueryRefs::uses_table(const QualifiedName& t) const {
  for (auto& k : keys_of(t))
    if (tables.count(k)) return true;
  return false;
}

bool QueryRefs::uses_column(const QualifiedName& t, const std::string& column) const {
  for (auto& k : keys_of(t))
    if (columns.count({k, column}) || star_tables.count(k)) return true;
  return false;
}

QueryRefs resolve_query(const std::string& sql, const Catalog& catalog) {
  QueryRefs out;
  ParsedFile parsed = parse_sql(sql);
  if (parsed.statements.size() != 1 || parsed.statements[0].error || !parsed.statements[0].tree) {
    out.unresolved = parsed.statements.empty() || !parsed.statements[0].error
                         ? "not one statement"
                         : "does not parse: " + parsed.statements[0].error->message;
    return out;
  }
  Walk w{catalog, {}, {}, {}, {}, {}, {}};
  w.collect_ctes(parsed.statements[0].tree->node);
  w.walk(parsed.statements[0].tree->node);
  if (!w.unknown.empty()) {
    out.unresolved = w.unknown;
    return out;
  }
  for (auto& [a, key] : w.aliases) out.tables.insert(key);
  for (auto& tc : w.target_cols) out.columns.insert(tc);
  for (auto& [qual, col] : w.colrefs) {
    if (col.empty()) continue;
    if (!qual.empty()) {
      auto it = w.aliases.find(qual);
      if (it == w.aliases.end()) continue;  // a CTE or subquery alias
      if (col == "*")
        out.star_tables.insert(it->second);
      else
        out.columns.insert({it->second, col});
      continue;
    }
    if (col == "*") {
      for (auto& t : out.tables) out.star_tables.insert(t);
      continue;
    }
    // Unqualified: every table of the query that has the column (a CTE's output column: none).
    for (auto& [key, ct] : w.by_key)
      if (ct->column(col)) out.columns.insert({key, col});
  }
  out.resolved = true;
  return out;
}

std::vector<ChangedObject> changed_objects(const LoweredStatement& st) {
  std::vector<ChangedObject> out;
  for (auto& c : st.changes) {
    if (auto* x = c.as<RenameColumn>()) out.push_back({x->table, x->column});
    if (auto* x = c.as<DropColumn>()) out.push_back({x->table, x->column});
    if (auto* x = c.as<AlterColumnType>()) out.push_back({x->table, x->column});
    if (auto* x = c.as<RenameTable>()) out.push_back({x->table, ""});
    if (auto* x = c.as<DropTable>())
      for (auto& t : x->tables) out.push_back({t, ""});
  }
  return out;
}

bool uses(const QueryRefs& refs, const ChangedObject& o) {
  return o.column.empty() ? refs.uses_table(o.table) : refs.uses_column(o.table, o.column);
}

}  // namespace pgstage
