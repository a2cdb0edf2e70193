#include "db/live_schema.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "analyzer/types.h"
#include "db/redact.h"

namespace pgstage::db {

namespace {

using json = nlohmann::json;

// Schemas whose objects are not the application's.
constexpr const char* kUserSchemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp_%' "
    "AND n.nspname NOT LIKE 'pg_toast_temp_%'";

std::string schema_of(const std::string& nsp) { return nsp == "public" ? std::string() : nsp; }

// pg_type.typname + atttypmod -> TypeName (typmod decoding from the types' typmodout functions).
TypeName type_from_pg(std::string typname, const std::string& typschema, int typmod, int ndims) {
  TypeName t;
  if (!typname.empty() && typname[0] == '_') {
    typname = typname.substr(1);
    t.array_dims = ndims > 0 ? ndims : 1;
  }
  t.name = normalize_type_name(typname);
  if (typschema != "pg_catalog") t.schema = schema_of(typschema);
  if (typmod >= 0) {
    if (t.name == "varchar" || t.name == "bpchar")
      t.typmods = {typmod - 4};
    else if (t.name == "numeric")
      t.typmods = {((typmod - 4) >> 16) & 0xffff, (typmod - 4) & 0xffff};
    else if (t.name == "timestamp" || t.name == "timestamptz" || t.name == "time" || t.name == "timetz" ||
             t.name == "bit" || t.name == "varbit")
      t.typmods = {typmod};
    else if (t.name == "interval" && (typmod & 0xffff) != 0xffff)
      t.typmods = {typmod & 0xffff};
  }
  return t;
}

std::vector<std::string> split_array(const std::string& pg_array) {
  // Text form of a name[]/text[]: {a,b,"c d"}
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (size_t i = 1; i + 1 < pg_array.size(); ++i) {
    char c = pg_array[i];
    if (quoted) {
      if (c == '\\' && i + 2 < pg_array.size())
        cur += pg_array[++i];
      else if (c == '"')
        quoted = false;
      else
        cur += c;
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
      any = true;
    }
  }
  if (any || !cur.empty()) out.push_back(cur);
  return out;
}

ConstraintKind kind_from_contype(char c) {
  switch (c) {
    case 'f':
      return ConstraintKind::ForeignKey;
    case 'u':
      return ConstraintKind::Unique;
    case 'p':
      return ConstraintKind::PrimaryKey;
    case 'x':
      return ConstraintKind::Exclusion;
    default:
      return ConstraintKind::Check;
  }
}

void read_into(pqxx::work& tx, Catalog& out) {
  std::map<std::string, CatalogTable> tables;  // by oid
  auto rel = tx.exec(
      std::string("SELECT c.oid::text, n.nspname, c.relname, c.relkind, c.reltuples::float8, "
                  "pg_total_relation_size(c.oid)::float8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE c.relkind IN ('r','p','v','m','f') AND ") +
      kUserSchemas + " ORDER BY n.nspname, c.relname");
  for (const auto& r : rel) {
    CatalogTable t;
    t.name = QualifiedName{schema_of(r[1].as<std::string>()), r[2].as<std::string>()};
    char k = r[3].as<std::string>()[0];
    t.kind = k == 'v' ? "view" : k == 'm' ? "matview" : k == 'p' ? "partitioned" : "table";
    double tuples = r[4].as<double>();
    if (tuples >= 0) t.row_estimate = tuples;  // -1: never analyzed
    t.total_bytes = r[5].as<double>();
    tables[r[0].as<std::string>()] = std::move(t);
  }
  auto cols = tx.exec(
      std::string(
          "SELECT a.attrelid::text, a.attname, t.typname, tn.nspname, a.atttypmod, a.attndims, a.attnotnull, "
          "pg_get_expr(d.adbin, d.adrelid), a.attidentity <> '', a.attgenerated <> '' "
          "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
          "JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace "
          "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
          "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','v','m','f') AND ") +
      kUserSchemas + " ORDER BY a.attrelid, a.attnum");
  for (const auto& r : cols) {
    auto it = tables.find(r[0].as<std::string>());
    if (it == tables.end()) continue;
    CatalogColumn c;
    c.name = r[1].as<std::string>();
    c.type = type_from_pg(r[2].as<std::string>(), r[3].as<std::string>(), r[4].as<int>(), r[5].as<int>());
    c.not_null = r[6].as<bool>();
    if (!r[7].is_null()) {
      Expr e;
      e.sql = r[7].as<std::string>();
      // Existing defaults only matter as facts about the column; nextval() marks a serial.
      if (e.sql.rfind("nextval(", 0) == 0) e.volatility = Volatility::Volatile;
      c.default_expr = e;
    }
    c.identity = r[8].as<bool>();
    c.generated = r[9].as<bool>();
    it->second.columns.push_back(std::move(c));
  }
  auto cons = tx.exec(
      std::string(
          "SELECT k.conrelid::text, k.conname, k.contype, k.convalidated, "
          "ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, o) "
          "      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o)::text, "
          "rn.nspname, r.relname, "
          "ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, o) "
          "      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o)::text, "
          "CASE WHEN k.contype = 'c' THEN pg_get_expr(k.conbin, k.conrelid) END, "
          // FK actions and deferral as the SQL that re-creates them (CatalogConstraint::options).
          "CASE WHEN k.contype = 'f' AND k.confmatchtype = 'f' THEN ' MATCH FULL' ELSE '' END "
          "|| CASE k.confupdtype WHEN 'r' THEN ' ON UPDATE RESTRICT' WHEN 'c' THEN ' ON UPDATE CASCADE' "
          "   WHEN 'n' THEN ' ON UPDATE SET NULL' WHEN 'd' THEN ' ON UPDATE SET DEFAULT' ELSE '' END "
          "|| CASE k.confdeltype WHEN 'r' THEN ' ON DELETE RESTRICT' WHEN 'c' THEN ' ON DELETE CASCADE' "
          "   WHEN 'n' THEN ' ON DELETE SET NULL' WHEN 'd' THEN ' ON DELETE SET DEFAULT' ELSE '' END "
          "|| CASE WHEN k.condeferrable THEN ' DEFERRABLE' ELSE '' END "
          "|| CASE WHEN k.condeferred THEN ' INITIALLY DEFERRED' ELSE '' END "
          "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
          "LEFT JOIN pg_class r ON r.oid = k.confrelid LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace "
          "WHERE k.contype IN ('c','f','u','p','x') AND ") +
      kUserSchemas + " ORDER BY k.conrelid, k.conname");
  for (const auto& r : cons) {
    auto it = tables.find(r[0].as<std::string>());
    if (it == tables.end()) continue;
    CatalogConstraint k;
    k.name = r[1].as<std::string>();
    k.kind = kind_from_contype(r[2].as<std::string>()[0]);
    k.validated = r[3].as<bool>();
    k.columns = split_array(r[4].as<std::string>());
    if (!r[6].is_null()) k.ref_table = QualifiedName{schema_of(r[5].as<std::string>()), r[6].as<std::string>()};
    k.ref_columns = split_array(r[7].as<std::string>());
    if (k.kind == ConstraintKind::ForeignKey || k.kind == ConstraintKind::PrimaryKey ||
        k.kind == ConstraintKind::Unique)
      k.options = r[9].as<std::string>();
    if (!r[8].is_null()) {
      k.check_sql = r[8].as<std::string>();
      // pg_get_expr prints `(col IS NOT NULL)`.
      std::string s = k.check_sql;
      while (s.size() >= 2 && s.front() == '(' && s.back() == ')') s = s.substr(1, s.size() - 2);
      const std::string suffix = " IS NOT NULL";
      if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
        std::string col = s.substr(0, s.size() - suffix.size());
        if (col.size() >= 2 && col.front() == '"') col = col.substr(1, col.size() - 2);
        if (col.find_first_of(" ()") == std::string::npos) k.not_null_column = col;
      }
    }
    it->second.constraints.push_back(std::move(k));
  }
  for (auto& [_, t] : tables) out.put_table(std::move(t));

  auto idx = tx.exec(
      std::string(
          "SELECT n.nspname, ic.relname, tc.relname, tn.nspname, i.indisunique, i.indisvalid, "
          "ARRAY(SELECT coalesce(a.attname, pg_get_indexdef(i.indexrelid, u.o::int, true)) "
          "      FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o) "
          "      LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n "
          "      WHERE u.o <= i.indnkeyatts ORDER BY u.o)::text, "
          // The rest of the definition: method, per-key options, INCLUDE columns, predicate.
          "am.amname, "
          "array_to_json(ARRAY(SELECT CASE WHEN a.attnum IS NOT NULL AND i.indcollation[u.o - 1] <> 0 AND "
          "      i.indcollation[u.o - 1] <> a.attcollation THEN ' COLLATE ' || i.indcollation[u.o - "
          "1]::regcollation::text ELSE '' END "
          "    || CASE WHEN NOT oc.opcdefault THEN ' ' || quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) "
          "       ELSE '' END "
          "    || CASE WHEN i.indoption[u.o - 1] & 1 = 1 THEN ' DESC' ELSE '' END "
          "    || CASE WHEN i.indoption[u.o - 1] & 3 = 1 THEN ' NULLS LAST' WHEN i.indoption[u.o - 1] & 3 = 2 "
          "       THEN ' NULLS FIRST' ELSE '' END "
          "      FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o) "
          "      LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n "
          "      JOIN pg_opclass oc ON oc.oid = i.indclass[u.o - 1] JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace "
          "      WHERE u.o <= i.indnkeyatts ORDER BY u.o))::text, "
          "array_to_json(ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o) "
          "      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n "
          "      WHERE u.o > i.indnkeyatts ORDER BY u.o))::text, "
          "coalesce(pg_get_expr(i.indpred, i.indrelid), ''), "
          // How it is stored: NULLS NOT DISTINCT (a Postgres 15 column, read through to_jsonb so that
          // older servers answer false), WITH (...) as "name = 'value'", the tablespace.
          "coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::bool, false), "
          "coalesce(array_to_string(ARRAY(SELECT quote_ident(split_part(o, '=', 1)) || ' = ' || "
          "      quote_literal(substr(o, strpos(o, '=') + 1)) FROM unnest(ic.reloptions) o), ', '), ''), "
          "coalesce((SELECT spcname FROM pg_tablespace WHERE oid = ic.reltablespace), '') "
          "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
          "JOIN pg_namespace n ON n.oid = ic.relnamespace "
          "JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace WHERE ") +
      kUserSchemas + " ORDER BY 1, 2");
  for (const auto& r : idx) {
    CatalogIndex i;
    i.name = r[1].as<std::string>();
    i.table = QualifiedName{schema_of(r[3].as<std::string>()), r[2].as<std::string>()};
    i.unique = r[4].as<bool>();
    i.valid = r[5].as<bool>();
    i.columns = split_array(r[6].as<std::string>());
    i.method = r[7].as<std::string>();
    i.key_options = json::parse(r[8].as<std::string>()).get<std::vector<std::string>>();
    i.include = json::parse(r[9].as<std::string>()).get<std::vector<std::string>>();
    i.where_sql = r[10].as<std::string>();
    i.storage = IndexStorage{r[11].as<bool>(), r[12].as<std::string>(), r[13].as<std::string>()};
    out.put_index(std::move(i));
  }
  auto enums = tx.exec(
      std::string("SELECT n.nspname, t.typname, ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid "
                  "ORDER BY e.enumsortorder)::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                  "WHERE t.typtype = 'e' AND ") +
      kUserSchemas + " ORDER BY 1, 2");
  for (const auto& r : enums)
    out.put_object(CatalogObject{"type", QualifiedName{schema_of(r[0].as<std::string>()), r[1].as<std::string>()},
                                 split_array(r[2].as<std::string>()), false});
}

json name_json(const QualifiedName& n) { return json{{"schema", n.schema}, {"name", n.name}}; }
QualifiedName name_from(const json& j) { return QualifiedName{j.value("schema", ""), j.value("name", "")}; }

json type_json(const TypeName& t) {
  return json{{"name", t.name}, {"schema", t.schema}, {"typmods", t.typmods}, {"array_dims", t.array_dims}};
}
TypeName type_from(const json& j) {
  TypeName t;
  t.name = j.value("name", "");
  t.schema = j.value("schema", "");
  t.typmods = j.value("typmods", std::vector<int>{});
  t.array_dims = j.value("array_dims", 0);
  return t;
}

constexpr const char* kKindNames[] = {"check", "foreign_key", "unique", "primary_key", "exclusion", "not_null"};

}  // namespace

bool read_live_catalog(const std::string& url, Catalog& out, std::string& err) {
  try {
    pqxx::connection c(url);
    c.set_variable("default_transaction_read_only", "on");
    pqxx::work tx(c, "pgstage-schema");
    tx.exec("SET TRANSACTION READ ONLY");
    Catalog cat;
    read_into(tx, cat);
    tx.commit();
    out = std::move(cat);
    return true;
  } catch (const std::exception& e) {
    err = "cannot read the schema from " + redact_url(url) + ": " + redact_secrets(e.what(), url);
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return false;
  }
}

std::string catalog_to_json(const Catalog& c, const std::string& schema_sql) {
  json tables = json::array();
  for (const CatalogTable* tp : c.tables()) {
    const CatalogTable& t = *tp;
    json cols = json::array();
    for (auto& col : t.columns) {
      json jc{{"name", col.name},
              {"type", type_json(col.type)},
              {"not_null", col.not_null},
              {"identity", col.identity},
              {"generated", col.generated}};
      if (col.default_expr) jc["default"] = col.default_expr->sql;
      if (col.default_expr && col.default_expr->volatility == Volatility::Volatile) jc["default_volatile"] = true;
      cols.push_back(std::move(jc));
    }
    json cons = json::array();
    for (auto& k : t.constraints) {
      json jk{{"name", k.name}, {"kind", kKindNames[int(k.kind)]}, {"columns", k.columns}, {"validated", k.validated}};
      if (!k.ref_table.empty()) {
        jk["ref_table"] = name_json(k.ref_table);
        jk["ref_columns"] = k.ref_columns;
      }
      if (!k.check_sql.empty()) jk["check"] = k.check_sql;
      if (!k.not_null_column.empty()) jk["not_null_column"] = k.not_null_column;
      if (!k.options.empty()) jk["options"] = k.options;
      cons.push_back(std::move(jk));
    }
    json jt{
        {"schema", t.name.schema}, {"name", t.name.name}, {"kind", t.kind}, {"columns", cols}, {"constraints", cons}};
    if (t.row_estimate) jt["rows"] = *t.row_estimate;
    if (t.total_bytes) jt["bytes"] = *t.total_bytes;
    tables.push_back(std::move(jt));
  }
  json indexes = json::array();
  for (const CatalogIndex* ip : c.indexes()) {
    const CatalogIndex& i = *ip;
    indexes.push_back(json{{"name", i.name},
                           {"table", name_json(i.table)},
                           {"columns", i.columns},
                           {"unique", i.unique},
                           {"valid", i.valid},
                           {"method", i.method},
                           {"key_options", i.key_options},
                           {"include", i.include},
                           {"where", i.where_sql},
                           {"nulls_not_distinct", i.storage.nulls_not_distinct},
                           {"with", i.storage.with},
                           {"tablespace", i.storage.tablespace}});
  }
  json objects = json::array();
  for (const CatalogObject* o : c.objects())
    objects.push_back(
        json{{"kind", o->kind}, {"schema", o->name.schema}, {"name", o->name.name}, {"values", o->values}});
  json doc{{"version", kSnapshotVersion},
           {"kind", "pgstage-schema"},
           {"tables", tables},
           {"indexes", indexes},
           {"objects", objects}};
  if (!schema_sql.empty()) doc["sql"] = schema_sql;
  return doc.dump(2) + "\n";
}

bool catalog_from_json(const std::string& text, const std::string& source, Catalog& out, std::string& err,
                       std::string* schema_sql) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    err = source + ": not a JSON schema snapshot (write one with `pgstage snapshot --database-url URL`)";
    return false;
  }
  if (doc.value("kind", "") != "pgstage-schema") {
    err = source + ": not a pgstage schema snapshot (missing \"kind\": \"pgstage-schema\")";
    return false;
  }
  if (!doc.contains("version") || !doc["version"].is_number_integer() ||
      doc["version"].get<int>() != kSnapshotVersion) {
    err = source + ": unsupported snapshot version " + (doc.contains("version") ? doc["version"].dump() : "(none)") +
          "; this pgstage reads version " + std::to_string(kSnapshotVersion);
    return false;
  }
  try {
    Catalog cat;
    for (auto& jt : doc.value("tables", json::array())) {
      CatalogTable t;
      t.name = name_from(jt);
      t.kind = jt.value("kind", "table");
      for (auto& jc : jt.value("columns", json::array())) {
        CatalogColumn col;
        col.name = jc.at("name").get<std::string>();
        col.type = type_from(jc.at("type"));
        col.not_null = jc.value("not_null", false);
        col.identity = jc.value("identity", false);
        col.generated = jc.value("generated", false);
        if (jc.contains("default")) {
          Expr e;
          e.sql = jc["default"].get<std::string>();
          if (jc.value("default_volatile", false)) e.volatility = Volatility::Volatile;
          col.default_expr = e;
        }
        t.columns.push_back(std::move(col));
      }
      for (auto& jk : jt.value("constraints", json::array())) {
        CatalogConstraint k;
        k.name = jk.at("name").get<std::string>();
        std::string kind = jk.value("kind", "check");
        for (int i = 0; i < 6; ++i)
          if (kind == kKindNames[i]) k.kind = ConstraintKind(i);
        k.columns = jk.value("columns", std::vector<std::string>{});
        k.validated = jk.value("validated", true);
        if (jk.contains("ref_table")) k.ref_table = name_from(jk["ref_table"]);
        k.ref_columns = jk.value("ref_columns", std::vector<std::string>{});
        k.check_sql = jk.value("check", "");
        k.not_null_column = jk.value("not_null_column", "");
        k.options = jk.value("options", "");
        t.constraints.push_back(std::move(k));
      }
      if (jt.contains("rows")) t.row_estimate = jt["rows"].get<double>();
      if (jt.contains("bytes")) t.total_bytes = jt["bytes"].get<double>();
      cat.put_table(std::move(t));
    }
    for (auto& ji : doc.value("indexes", json::array())) {
      CatalogIndex i;
      i.name = ji.at("name").get<std::string>();
      i.table = name_from(ji.at("table"));
      i.columns = ji.value("columns", std::vector<std::string>{});
      i.unique = ji.value("unique", false);
      i.valid = ji.value("valid", true);
      i.method = ji.value("method", std::string());
      i.key_options = ji.value("key_options", std::vector<std::string>{});
      i.include = ji.value("include", std::vector<std::string>{});
      i.where_sql = ji.value("where", std::string());
      i.storage = IndexStorage{ji.value("nulls_not_distinct", false), ji.value("with", std::string()),
                               ji.value("tablespace", std::string())};
      cat.put_index(std::move(i));
    }
    for (auto& jo : doc.value("objects", json::array()))
      cat.put_object(
          CatalogObject{jo.value("kind", ""), name_from(jo), jo.value("values", std::vector<std::string>{}), false});
    out = std::move(cat);
    if (schema_sql) *schema_sql = doc.value("sql", std::string());
    return true;
  } catch (const json::exception& e) {
    err = source + ": malformed schema snapshot: " + e.what();
    return false;
  }
}

}  // namespace pgstage::db
