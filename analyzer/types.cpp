#include "analyzer/types.h"

#include <set>

#include "analyzer/ascii.h"
#include "analyzer/rule_api.h"

#include <cctype>
#include <map>

namespace pgstage {

std::string normalize_type_name(const std::string& in, bool* serial) {
  static const std::map<std::string, std::string> kAliases = {
      {"int", "int4"},
      {"integer", "int4"},
      {"int4", "int4"},
      {"bigint", "int8"},
      {"int8", "int8"},
      {"smallint", "int2"},
      {"int2", "int2"},
      {"serial", "int4"},
      {"serial4", "int4"},
      {"bigserial", "int8"},
      {"serial8", "int8"},
      {"smallserial", "int2"},
      {"serial2", "int2"},
      {"boolean", "bool"},
      {"bool", "bool"},
      {"real", "float4"},
      {"float4", "float4"},
      {"double precision", "float8"},
      {"float", "float8"},
      {"float8", "float8"},
      {"decimal", "numeric"},
      {"numeric", "numeric"},
      {"character varying", "varchar"},
      {"varchar", "varchar"},
      {"character", "bpchar"},
      {"char", "bpchar"},
      {"bpchar", "bpchar"},
      {"timestamp without time zone", "timestamp"},
      {"timestamp", "timestamp"},
      {"timestamp with time zone", "timestamptz"},
      {"timestamptz", "timestamptz"},
      {"time without time zone", "time"},
      {"time", "time"},
      {"time with time zone", "timetz"},
      {"timetz", "timetz"},
      {"bit varying", "varbit"},
      {"varbit", "varbit"},
  };
  std::string n = in;
  for (char& c : n) c = ascii_lower(c);
  if (serial) *serial = n.find("serial") != std::string::npos && kAliases.count(n);
  auto it = kAliases.find(n);
  // Not a built-in alias: the parser's name as is (it already folded unquoted names; a quoted
  // "Status2" keeps its case).
  return it == kAliases.end() ? in : it->second;
}

std::string TypeName::str() const {
  std::string s;
  if (!schema.empty()) s = schema + ".";
  if (is_serial)
    s += name == "int8" ? "bigserial" : name == "int2" ? "smallserial" : "serial";
  else if (schema.empty() && name == "int2")
    s += "smallint";
  else if (schema.empty() && name == "int4")
    s += "integer";
  else if (schema.empty() && name == "int8")
    s += "bigint";
  else if (schema.empty() && name == "float4")
    s += "real";
  else if (schema.empty() && name == "float8")
    s += "double precision";
  else if (schema.empty() && name == "bool")
    s += "boolean";
  else if (schema.empty() && name == "bpchar")
    s += "char";
  else
    s += name;
  if (!typmods.empty()) {
    s += "(";
    for (size_t i = 0; i < typmods.size(); ++i) s += (i ? "," : "") + std::to_string(typmods[i]);
    s += ")";
  }
  for (int i = 0; i < array_dims; ++i) s += "[]";
  return s;
}

std::string TypeName::sql() const {
  // Built-in types keep their SQL spelling (typmods of interval, time zones, ...); any other type
  // is a name a user created: quoted, with its schema, so "Status2" stays Status2.
  static const std::set<std::string, std::less<>> builtin = {
      "int2",      "int4",      "int8",        "float4",  "float8",    "bool",      "bpchar",   "varchar",  "text",
      "numeric",   "timestamp", "timestamptz", "date",    "time",      "timetz",    "interval", "bit",      "varbit",
      "uuid",      "json",      "jsonb",       "bytea",   "inet",      "cidr",      "macaddr",  "macaddr8", "money",
      "xml",       "oid",       "char",        "name",    "tsvector",  "tsquery",   "point",    "line",     "lseg",
      "box",       "path",      "polygon",     "circle",  "int4range", "int8range", "numrange", "tsrange",  "tstzrange",
      "daterange", "regclass",  "pg_lsn",      "jsonpath"};
  if (is_serial || (schema.empty() && builtin.count(name)) || schema == "pg_catalog") return str();
  std::string s = schema.empty() ? "" : quote_ident(schema) + ".";
  s += quote_ident(name);
  if (!typmods.empty()) {
    s += "(";
    for (size_t i = 0; i < typmods.size(); ++i) s += (i ? "," : "") + std::to_string(typmods[i]);
    s += ")";
  }
  for (int i = 0; i < array_dims; ++i) s += "[]";
  return s;
}

namespace {

bool is_text_like(const std::string& n) { return n == "text" || n == "varchar" || n == "citext"; }

bool typmod_widens(const TypeName& o, const TypeName& n, size_t index) {
  if (n.typmods.size() <= index) return true;   // new type has no limit
  if (o.typmods.size() <= index) return false;  // old had no limit, new has one
  return n.typmods[index] >= o.typmods[index];
}

}  // namespace

bool is_utc_zone(std::string_view timezone) {
  std::string z;
  for (char c : timezone) z += char(std::tolower(static_cast<unsigned char>(c)));
  if (z.rfind("etc/", 0) == 0) z = z.substr(4);
  for (const char* u :
       {"utc", "uct", "gmt", "gmt0", "gmt+0", "gmt-0", "zulu", "universal", "greenwich", "z", "+00", "+00:00", "00:00"})
    if (z == u) return true;
  return false;
}

TypeChangeFacts type_change_facts(const TypeName* old_type, const TypeName& nt, const std::string& column,
                                  const std::optional<Expr>& using_expr, int pg_version, std::string_view timezone) {
  TypeChangeFacts f;
  if (using_expr) {
    bool plain = using_expr->column_ref == column || using_expr->cast_of_column == column;
    if (!plain) {
      f.verdict = TypeChangeVerdict::Rewrite;
      f.reason = "the USING expression computes new values, so every row is rewritten";
      return f;
    }
  }
  if (!old_type) {
    f.verdict = TypeChangeVerdict::Unknown;
    f.reason =
        "the column's current type is not known (no history or database), so whether this rewrites the "
        "table cannot be decided; it does unless the change is binary-coercible";
    return f;
  }
  const TypeName& o = *old_type;
  std::string from = o.str(), to = nt.str();
  auto no_rewrite = [&](std::string why) {
    f.verdict = TypeChangeVerdict::NoRewrite;
    f.reason = from + " -> " + to + " " + why;
    return f;
  };
  auto rewrite = [&](std::string why) {
    f.verdict = TypeChangeVerdict::Rewrite;
    f.reason = from + " -> " + to + " " + why;
    return f;
  };
  if (o.array_dims != nt.array_dims) return rewrite("changes the array dimension, which rewrites the table");
  if (o.name == nt.name && o.schema == nt.schema) {
    if (o.typmods == nt.typmods) return no_rewrite("does not change the type");
    if (o.name == "varchar" || o.name == "varbit" || o.name == "bit") {
      if (typmod_widens(o, nt, 0)) return no_rewrite("widens or removes the length limit (binary-coercible)");
      return rewrite("shrinks the length limit, which checks and rewrites every row");
    }
    if (o.name == "numeric") {
      if (nt.typmods.empty()) return no_rewrite("removes the precision limit (binary-coercible)");
      if (o.typmods.empty()) return rewrite("adds a precision limit, which rewrites every row");
      int os = o.typmods.size() > 1 ? o.typmods[1] : 0, ns = nt.typmods.size() > 1 ? nt.typmods[1] : 0;
      if (os == ns && nt.typmods[0] >= o.typmods[0]) return no_rewrite("raises the precision at the same scale");
      return rewrite("changes the scale or lowers the precision, which rewrites every row");
    }
    if (o.name == "timestamp" || o.name == "timestamptz" || o.name == "time" || o.name == "timetz" ||
        o.name == "interval") {
      if (typmod_widens(o, nt, 0)) return no_rewrite("raises or removes the fractional-second precision");
      return rewrite("lowers the fractional-second precision, which rewrites every row");
    }
    if (o.name == "bpchar") return rewrite("changes the char(n) length, which rewrites every row");
    return rewrite("changes the type modifier, which rewrites every row");
  }
  if (is_text_like(o.name) && (nt.name == "text" || (nt.name == "varchar" && nt.typmods.empty())))
    return no_rewrite("is binary-coercible");
  if (o.name == "text" && nt.name == "citext") return no_rewrite("is binary-coercible (indexes are rebuilt)");
  if (o.name == "varchar" && nt.name == "citext") return no_rewrite("is binary-coercible (indexes are rebuilt)");
  if (o.name == "cidr" && nt.name == "inet") return no_rewrite("is binary-coercible");
  if (o.name == "varbit" && nt.name == "varbit") return no_rewrite("is binary-coercible");
  if ((o.name == "timestamp" && nt.name == "timestamptz") || (o.name == "timestamptz" && nt.name == "timestamp")) {
    if (pg_version >= 12) {
      if (timezone.empty()) {
        f.verdict = TypeChangeVerdict::Unknown;
        f.reason = from + " -> " + to +
                   " rewrites the table unless the session TimeZone is UTC (PG 12+ then skips "
                   "the rewrite); the TimeZone is not known: set `timezone` in pgstage.toml or pass --timezone";
        return f;
      }
      if (is_utc_zone(timezone)) return no_rewrite("skips the rewrite on PG 12+ because the session TimeZone is UTC");
      return rewrite("rewrites the table: the session TimeZone is " + std::string(timezone) +
                     ", not UTC (PG 12+ skips the rewrite only under UTC)");
    }
    return rewrite("rewrites the table before PostgreSQL 12");
  }
  return rewrite("is not binary-coercible, so every row is rewritten and every index rebuilt");
}

}  // namespace pgstage
