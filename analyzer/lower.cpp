#include "analyzer/lower.h"

#include <pg_query.h>

#include <algorithm>
#include <cctype>

#include "analyzer/ascii.h"
#include "analyzer/parse_tree.h"
#include "analyzer/rule_api.h"
#include "analyzer/types.h"
#include "analyzer/volatility.h"

namespace pgstage {

using J = JsonView;

namespace {

// Field access that tolerates missing keys and wrong shapes (absent reads as null/empty/false).
// (string_view keys: a literal's length is known where it is written, no strlen per lookup.)
J at(J j, std::string_view key) { return j[key]; }
std::string str(J j, std::string_view key) { return std::string(j[key].string_or()); }
std::string_view sv(J j, std::string_view key) { return j[key].string_or(); }
bool flag(J j, std::string_view key) { return j[key].bool_or(false); }
int num(J j, std::string_view key, int dflt = 0) { return int(j[key].int_or(dflt)); }
// The single key of a node wrapper {"TypeName": {...}} and its body.
std::pair<std::string_view, J> node_of(J j) { return j.single_member(); }
// A list's items: a bare array, or a {"List": {"items": [...]}} node.
J::ArrayRange items(J j) { return j.is_array() ? j.elements() : j["List"]["items"].elements(); }
std::string string_node(J j) { return str(j["String"], "sval"); }

// A utility option's argument (VACUUM (FULL false), REINDEX (CONCURRENTLY off)): absent means true;
// the grammar hands booleans over as Boolean, String ("false", "off") or Integer nodes.
bool option_enabled(J arg) {
  if (arg.is_null()) return true;
  if (at(arg, "Boolean").is_object()) return flag(at(arg, "Boolean"), "boolval");
  if (at(arg, "Integer").is_object()) return num(at(arg, "Integer"), "ival", 1) != 0;
  std::string v = string_node(arg);
  for (auto&& c : v) c = char(std::tolower(static_cast<unsigned char>(c)));
  return !(v == "false" || v == "off" || v == "0" || v == "no");
}

// WITH (name = value, ...) of an index or a PRIMARY KEY / UNIQUE constraint as SQL, every value a
// quoted literal (Postgres reads storage parameters from text either way): "fillfactor = '70'".
// `deduplicate_items = off` arrives as a TypeName, numbers as Integer / Float, a bare name as no arg.
std::string storage_parameters(J options) {
  std::string out;
  for (auto&& o : items(options)) {
    J de = at(o, "DefElem");
    std::string name = quote_ident(str(de, "defname"));
    if (std::string ns = str(de, "defnamespace"); !ns.empty()) name = quote_ident(ns) + "." + name;
    J arg = at(de, "arg");
    std::string value = "true";
    if (at(arg, "Integer").is_object())
      value = std::to_string(num(at(arg, "Integer"), "ival"));
    else if (at(arg, "Float").is_object())
      value = str(at(arg, "Float"), "fval");
    else if (at(arg, "Boolean").is_object())
      value = flag(at(arg, "Boolean"), "boolval") ? "true" : "false";
    else if (J tn = at(arg, "TypeName"); tn.is_object()) {
      for (auto&& n : items(at(tn, "names"))) value = string_node(n);
    } else if (!arg.is_null())
      value = string_node(arg);
    out += (out.empty() ? "" : ", ") + name + " = " + quote_literal(value);
  }
  return out;
}

struct Ctx {
  const SourceFile& file;
  int base;         // add to libpg_query locations for file offsets
  size_t stmt_end;  // file offset where the statement ends
  int abs(int loc) const { return loc < 0 ? -1 : base + loc; }
};

QualifiedName range_var(J rv) {
  J wrapped = at(rv, "RangeVar");
  J b = wrapped.is_object() ? wrapped : rv;
  return QualifiedName{str(b, "schemaname"), str(b, "relname")};
}

// A name list [schema?, name] or [catalog, schema, name].
QualifiedName name_list(J list) {
  std::vector<std::string> parts;
  for (auto&& it : items(list)) parts.push_back(string_node(it));
  QualifiedName q;
  if (parts.empty()) return q;
  q.name = parts.back();
  if (parts.size() >= 2) q.schema = parts[parts.size() - 2];
  return q;
}

TypeName type_name(J tn_node) {
  J wrapped = at(tn_node, "TypeName");
  J tn = wrapped.is_object() ? wrapped : tn_node;
  // One pass over the node's members (a lookup per field would scan them once per field).
  J names, typmods, array_bounds;
  tn.for_each_member([&](std::string_view k, J v) {
    if (k == "names")
      names = v;
    else if (k == "typmods")
      typmods = v;
    else if (k == "arrayBounds")
      array_bounds = v;
  });
  TypeName t;
  std::string_view n, schema;  // the last two parts of the name list
  bool any = false;
  for (auto&& p : items(names)) {
    schema = n;
    n = p["String"]["sval"].string_or();
    any = true;
  }
  if (!any) return t;
  if (schema == "pg_catalog") schema = {};
  bool serial = false;
  t.name = schema.empty() ? normalize_type_name(std::string(n), &serial) : std::string(n);
  t.is_serial = serial;
  t.schema = std::string(schema);
  for (auto&& m : items(typmods)) {
    auto [k, body] = node_of(m);
    if (k == "A_Const") {
      J iv = at(body, "ival");
      t.typmods.push_back(iv.is_object() ? num(iv, "ival", 0) : 0);
    }
  }
  t.array_dims = int(items(array_bounds).size());
  // interval(p) and timestamp(p) carry typmods the same way; nothing more to do.
  return t;
}

bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

// Slices an expression's source text starting at `begin` up to the first top-level ',' or ')'
// or one of the stop keywords (after the first token), or the statement end.
std::string slice_expr(const Ctx& cx, int begin, bool column_context) {
  const std::string& s = cx.file.text;
  if (begin < 0 || size_t(begin) >= cx.stmt_end) return {};
  static const char* kStops[] = {"constraint", "check",     "references", "unique",    "primary",
                                 "not",        "null",      "collate",    "generated", "default",
                                 "deferrable", "initially", "using",      "on",        nullptr};
  size_t i = size_t(begin), end = cx.stmt_end;
  int depth = 0;
  bool first = true;
  size_t last_nonspace = i;
  while (i < end) {
    char c = s[i];
    if (c == '(' || c == '[') {
      ++depth;
      ++i;
      first = false;
      last_nonspace = i;
      continue;
    }
    if (c == ')' || c == ']') {
      if (depth == 0) break;
      --depth;
      ++i;
      last_nonspace = i;
      continue;
    }
    if (depth == 0 && (c == ',' || c == ';')) break;
    if (c == '\'' || c == '"') {
      char q = c;
      ++i;
      while (i < end) {
        if (s[i] == q) {
          if (i + 1 < end && s[i + 1] == q) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      first = false;
      last_nonspace = i;
      continue;
    }
    if (c == '-' && i + 1 < end && s[i + 1] == '-') {
      while (i < end && s[i] != '\n') ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (is_ident_char(c)) {
      size_t j = i;
      while (j < end && is_ident_char(s[j])) ++j;
      if (depth == 0 && !first && column_context) {
        std::string w;
        for (size_t k = i; k < j; ++k) w += char(std::tolower(static_cast<unsigned char>(s[k])));
        bool stop = false;
        for (const char** p = kStops; *p; ++p)
          if (w == *p) stop = true;
        if (stop) break;
      }
      first = false;
      i = j;
      last_nonspace = i;
      continue;
    }
    // operators and punctuation (::, +, ...)
    first = false;
    ++i;
    last_nonspace = i;
  }
  return s.substr(size_t(begin), last_nonspace - size_t(begin));
}

int node_location(J node) {
  auto [k, body] = node_of(node);
  if (k.empty()) return -1;
  int loc = num(body, "location", -1);
  if (k == "A_Expr" || k == "TypeCast" || k == "NullTest" || k == "BooleanTest") {
    // Binary operators report the operator's location; the expression starts at its left operand.
    J l = k == "A_Expr" ? at(body, "lexpr") : at(body, "arg");
    int ll = node_location(l);
    if (ll >= 0 && (loc < 0 || ll < loc)) loc = ll;
  }
  if (k == "BoolExpr") {
    for (auto&& a : items(at(body, "args"))) {
      int al = node_location(a);
      if (al >= 0 && (loc < 0 || al < loc)) loc = al;
    }
  }
  return loc;
}

// Visits every (key, value) member under `root` in document order (pre-order), with an explicit
// stack: expressions can nest thousands of levels deep. `visit` returns false to skip the subtree.
template <class F>
void walk_members(J root, F&& visit) {
  std::vector<std::pair<std::string_view, J>> stack{{std::string_view(), root}};
  std::vector<std::pair<std::string_view, J>> kids;
  while (!stack.empty()) {
    auto [key, value] = stack.back();
    stack.pop_back();
    if (!key.empty() && !visit(key, value)) continue;
    kids.clear();
    if (value.is_object())
      value.for_each_member([&](std::string_view k, J v) { kids.emplace_back(k, v); });
    else if (value.is_array())
      for (J x : value.elements()) kids.emplace_back(std::string_view(), x);
    stack.insert(stack.end(), kids.rbegin(), kids.rend());
  }
}

void walk_functions(J j, Expr& e) {
  walk_members(j, [&](std::string_view key, J value) {
    if (key == "FuncCall") {
      auto q = name_list(at(value, "funcname"));
      std::optional<Volatility> v;
      if (q.schema.empty() || q.schema == "pg_catalog") v = builtin_volatility(q.name);
      if (!v) {
        e.unknown_functions.push_back(q.str());
        v = Volatility::Volatile;
      }
      if (int(*v) > int(e.volatility)) e.volatility = *v;
    } else if (key == "SQLValueFunction") {
      if (int(Volatility::Stable) > int(e.volatility)) e.volatility = Volatility::Stable;
    } else if (key == "SubLink") {
      e.volatility = Volatility::Volatile;  // a subquery: treat as volatile
    }
    return true;
  });
}

Expr make_expr(const Ctx& cx, J node, bool column_context) {
  Expr e;
  int loc = node_location(node);
  e.sql = slice_expr(cx, cx.abs(loc), column_context);
  walk_functions(node, e);
  auto [k, body] = node_of(node);
  if (k == "A_Const" && flag(body, "isnull")) e.is_null_constant = true;
  if (k == "ColumnRef") {
    auto f = items(at(body, "fields"));
    if (f.size() == 1) e.column_ref = string_node(f[0]);
  }
  if (k == "TypeCast") {
    auto [ak, abody] = node_of(at(body, "arg"));
    if (ak == "ColumnRef") {
      auto f = items(at(abody, "fields"));
      if (f.size() == 1) e.cast_of_column = string_node(f[0]);
    }
  }
  if (e.sql.empty()) e.sql = k;
  return e;
}

std::vector<std::string> string_list(J j) {
  std::vector<std::string> out;
  for (auto&& x : items(j)) out.push_back(string_node(x));
  return out;
}

// The tables a query reads (its FROM items, subqueries and CTEs included; CTE names left out).
std::vector<QualifiedName> tables_read(J query) {
  std::vector<std::string> ctes;
  std::vector<QualifiedName> out;
  walk_members(query, [&](std::string_view key, J value) {
    if (key == "CommonTableExpr") ctes.push_back(str(value, "ctename"));
    if (key != "RangeVar") return true;
    QualifiedName n = range_var(value);
    if (!n.name.empty() && std::none_of(out.begin(), out.end(), [&](auto& o) { return o == n; })) out.push_back(n);
    return false;
  });
  std::erase_if(out, [&](const QualifiedName& n) {
    return n.schema.empty() && std::find(ctes.begin(), ctes.end(), n.name) != ctes.end();
  });
  return out;
}

Constraint constraint_of(const Ctx& cx, J cnode) {
  J wrapped = at(cnode, "Constraint");
  J c = wrapped.is_object() ? wrapped : cnode;
  Constraint k;
  std::string_view t = sv(c, "contype");
  if (t == "CONSTR_CHECK")
    k.kind = ConstraintKind::Check;
  else if (t == "CONSTR_FOREIGN")
    k.kind = ConstraintKind::ForeignKey;
  else if (t == "CONSTR_UNIQUE")
    k.kind = ConstraintKind::Unique;
  else if (t == "CONSTR_PRIMARY")
    k.kind = ConstraintKind::PrimaryKey;
  else if (t == "CONSTR_EXCLUSION")
    k.kind = ConstraintKind::Exclusion;
  else if (t == "CONSTR_NOTNULL")
    k.kind = ConstraintKind::NotNull;
  k.name = str(c, "conname");
  k.location = cx.abs(num(c, "location", -1));
  k.not_valid = flag(c, "skip_validation");
  k.using_index = str(c, "indexname");
  k.deferrable = flag(c, "deferrable");
  if (k.kind == ConstraintKind::ForeignKey) {
    k.columns = string_list(at(c, "fk_attrs"));
    k.ref_table = range_var(at(c, "pktable"));
    k.ref_columns = string_list(at(c, "pk_attrs"));
    auto action = [](std::string_view a) -> std::string {
      if (a == "r") return "RESTRICT";
      if (a == "c") return "CASCADE";
      if (a == "n") return "SET NULL";
      if (a == "d") return "SET DEFAULT";
      return "";  // a: NO ACTION, the default
    };
    if (sv(c, "fk_matchtype") == "f") k.fk_options += " MATCH FULL";
    if (auto u = action(sv(c, "fk_upd_action")); !u.empty()) k.fk_options += " ON UPDATE " + u;
    if (auto d = action(sv(c, "fk_del_action")); !d.empty()) {
      k.fk_options += " ON DELETE " + d;
      auto cols = string_list(at(c, "fk_del_set_cols"));  // PG 15: ON DELETE SET NULL (col, ...)
      for (size_t i = 0; i < cols.size(); ++i) k.fk_options += (i ? ", " : " (") + quote_ident(cols[i]);
      if (!cols.empty()) k.fk_options += ")";
    }
    if (k.deferrable) k.fk_options += flag(c, "initdeferred") ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
  } else if (k.kind == ConstraintKind::Exclusion) {
    // EXCLUDE (elem WITH op, ...): each element a list of an IndexElem and an operator name.
    for (auto&& e : items(at(c, "exclusions"))) {
      bool first = true;
      for (auto&& part : items(e)) {
        if (first)
          if (std::string name = str(at(part, "IndexElem"), "name"); !name.empty()) k.columns.push_back(name);
        first = false;
      }
    }
  } else {
    k.columns = string_list(at(c, "keys"));
    k.include = string_list(at(c, "including"));
    k.storage = IndexStorage{flag(c, "nulls_not_distinct"), storage_parameters(at(c, "options")), str(c, "indexspace")};
    if (k.deferrable) k.deferral = flag(c, "initdeferred") ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
  }
  if (k.kind == ConstraintKind::Check && !at(c, "raw_expr").is_null()) {
    // CHECK ( expr ): slice from the expression start to its closing parenthesis.
    k.check = make_expr(cx, at(c, "raw_expr"), false);
  }
  return k;
}

ColumnDef column_def(const Ctx& cx, J cdnode) {
  J wrapped = at(cdnode, "ColumnDef");
  J cd = wrapped.is_object() ? wrapped : cdnode;
  ColumnDef col;
  J constraints;
  int location = -1;
  cd.for_each_member([&](std::string_view k, J v) {  // one pass over the members
    if (k == "colname")
      col.name = std::string(v.string_or());
    else if (k == "typeName")
      col.type = type_name(v);
    else if (k == "location")
      location = int(v.int_or(-1));
    else if (k == "constraints")
      constraints = v;
  });
  col.location = cx.abs(location);
  for (auto&& cn : items(constraints)) {
    J c = at(cn, "Constraint");
    std::string_view t = sv(c, "contype");
    if (t == "CONSTR_NOTNULL")
      col.not_null = true;
    else if (t == "CONSTR_NULL")
      col.not_null = false;
    else if (t == "CONSTR_DEFAULT")
      col.default_expr = make_expr(cx, at(c, "raw_expr"), true);
    else if (t == "CONSTR_IDENTITY")
      col.identity = true;
    else if (t == "CONSTR_GENERATED")
      col.generated_stored = true;
    else if ((t == "CONSTR_ATTR_DEFERRABLE" || t == "CONSTR_ATTR_DEFERRED") && !col.constraints.empty()) {
      // In a column definition DEFERRABLE / INITIALLY DEFERRED are nodes of their own after the
      // constraint they qualify (a table constraint carries them as flags).
      Constraint& k = col.constraints.back();
      k.deferrable = true;
      std::string& options = k.kind == ConstraintKind::ForeignKey ? k.fk_options : k.deferral;
      if (options.find(" DEFERRABLE") == std::string::npos) options += " DEFERRABLE";
      if (t == "CONSTR_ATTR_DEFERRED") options += " INITIALLY DEFERRED";
    } else if (t == "CONSTR_PRIMARY" || t == "CONSTR_UNIQUE" || t == "CONSTR_FOREIGN" || t == "CONSTR_CHECK" ||
               t == "CONSTR_EXCLUSION") {
      Constraint k = constraint_of(cx, c);
      if (k.columns.empty()) k.columns = {col.name};
      if (k.kind == ConstraintKind::PrimaryKey) col.primary_key = true;
      if (k.kind == ConstraintKind::Unique) col.unique = true;
      col.constraints.push_back(std::move(k));
    }
  }
  if (col.type.is_serial) col.not_null = true;
  return col;
}

std::string object_kind(const std::string& objtype) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"OBJECT_TABLE", "table"},         {"OBJECT_INDEX", "index"},
      {"OBJECT_VIEW", "view"},           {"OBJECT_MATVIEW", "materialized view"},
      {"OBJECT_FUNCTION", "function"},   {"OBJECT_PROCEDURE", "procedure"},
      {"OBJECT_TYPE", "type"},           {"OBJECT_DOMAIN", "domain"},
      {"OBJECT_SEQUENCE", "sequence"},   {"OBJECT_SCHEMA", "schema"},
      {"OBJECT_TRIGGER", "trigger"},     {"OBJECT_EXTENSION", "extension"},
      {"OBJECT_COLUMN", "column"},       {"OBJECT_TABCONSTRAINT", "constraint"},
      {"OBJECT_DATABASE", "database"},   {"OBJECT_FOREIGN_TABLE", "foreign table"},
      {"OBJECT_AGGREGATE", "aggregate"}, {"OBJECT_RULE", "rule"},
      {"OBJECT_POLICY", "policy"},       {"OBJECT_ROLE", "role"},
      {"OBJECT_COLLATION", "collation"},
  };
  for (auto&& [k, v] : kMap)
    if (objtype == k) return v;
  std::string s = objtype.rfind("OBJECT_", 0) == 0 ? objtype.substr(7) : objtype;
  for (auto&& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Names in a DropStmt's `objects`.
QualifiedName drop_object_name(J o) {
  auto [k, body] = node_of(o);
  if (k == "List") return name_list(o);
  if (k == "String") return QualifiedName{"", str(body, "sval")};
  if (k == "TypeName") {
    auto t = type_name(body);
    return QualifiedName{t.schema, t.name};
  }
  if (k == "ObjectWithArgs") return name_list(at(body, "objname"));
  return {};
}

void lower_alter_table(const Ctx& cx, J a, LoweredStatement& out) {
  QualifiedName table = range_var(at(a, "relation"));
  std::string objtype = str(a, "objtype");
  for (auto&& cmdnode : items(at(a, "cmds"))) {
    J cmd = at(cmdnode, "AlterTableCmd");
    std::string sub = str(cmd, "subtype");
    std::string name = str(cmd, "name");
    J def = at(cmd, "def");
    int loc = -1;
    {
      auto [dk, db] = node_of(def);
      if (!dk.empty()) loc = cx.abs(num(db, "location", -1));
    }
    Change ch;
    ch.location = loc;
    if (objtype != "OBJECT_TABLE" && objtype != "OBJECT_FOREIGN_TABLE" && !objtype.empty()) {
      ch.value = AlterTableOther{table, sub, name, {}};
      if (objtype == "OBJECT_INDEX") std::get<AlterTableOther>(ch.value).options.push_back("index");
      out.changes.push_back(std::move(ch));
      continue;
    }
    bool cascade = sv(cmd, "behavior") == "DROP_CASCADE";
    if (sub == "AT_AddColumn" || sub == "AT_AddColumnRecurse") {
      ch.value = AddColumn{table, column_def(cx, def), flag(cmd, "missing_ok")};
    } else if (sub == "AT_DropColumn" || sub == "AT_DropColumnRecurse") {
      ch.value = DropColumn{table, name, flag(cmd, "missing_ok"), cascade};
    } else if (sub == "AT_AlterColumnType") {
      J cd = at(def, "ColumnDef");
      AlterColumnType t{table, name, type_name(at(cd, "typeName")), std::nullopt, {}};
      if (!at(cd, "raw_default").is_null()) t.using_expr = make_expr(cx, at(cd, "raw_default"), false);
      // ColumnDef.collClause is a CollateClause* (not a Node*): the JSON holds its fields directly
      // (older libpg_query versions wrapped it in {"CollateClause": ...}).
      J coll = at(cd, "collClause");
      if (at(coll, "CollateClause").is_object()) coll = at(coll, "CollateClause");
      for (auto&& c : items(at(coll, "collname"))) t.collation = string_node(c);
      ch.value = std::move(t);
    } else if (sub == "AT_SetNotNull") {
      ch.value = SetNotNull{table, name};
    } else if (sub == "AT_DropNotNull") {
      ch.value = DropNotNull{table, name};
    } else if (sub == "AT_ColumnDefault") {
      if (def.is_null())
        ch.value = DropDefault{table, name};
      else
        ch.value = SetDefault{table, name, make_expr(cx, def, false)};
    } else if (sub == "AT_AddConstraint" || sub == "AT_AddConstraintRecurse" || sub == "AT_AddIndexConstraint") {
      Constraint k = constraint_of(cx, def);
      ch.location = k.location;
      ch.value = AddConstraint{table, std::move(k)};
    } else if (sub == "AT_ValidateConstraint" || sub == "AT_ValidateConstraintRecurse") {
      ch.value = ValidateConstraint{table, name};
    } else if (sub == "AT_DropConstraint" || sub == "AT_DropConstraintRecurse") {
      ch.value = DropConstraint{table, name, flag(cmd, "missing_ok"), cascade};
    } else if (sub == "AT_AttachPartition") {
      ch.value = AttachPartition{table, range_var(at(at(def, "PartitionCmd"), "name"))};
    } else if (sub == "AT_DetachPartition") {
      J pc = at(def, "PartitionCmd");
      ch.value = DetachPartition{table, range_var(at(pc, "name")), flag(pc, "concurrent"), false};
    } else if (sub == "AT_DetachPartitionFinalize") {
      ch.value = DetachPartition{table, range_var(at(at(def, "PartitionCmd"), "name")), false, true};
    } else if (sub == "AT_EnableTrig" || sub == "AT_EnableAlwaysTrig" || sub == "AT_EnableReplicaTrig" ||
               sub == "AT_EnableTrigAll" || sub == "AT_EnableTrigUser") {
      ch.value = TriggerChange{table, name, TriggerAction::Enable};
    } else if (sub == "AT_DisableTrig" || sub == "AT_DisableTrigAll" || sub == "AT_DisableTrigUser") {
      ch.value = TriggerChange{table, name, TriggerAction::Disable};
    } else {
      AlterTableOther o{table, sub, name, {}};
      for (auto&& d : items(def)) o.options.push_back(str(at(d, "DefElem"), "defname"));
      if (sub == "AT_SetTableSpace" || sub == "AT_SetAccessMethod") o.options.push_back(name);
      if (sub == "AT_AddInherit" || sub == "AT_DropInherit") o.options = {range_var(def).str()};  // the parent
      ch.value = std::move(o);
    }
    out.changes.push_back(std::move(ch));
  }
}

std::string unquote_sql_string(const std::string& q) {
  // 'it''s' -> it's ; E'..' and $$..$$ are handled for the simple cases.
  std::string s = q;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  s = s.substr(b);
  if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') {
    std::string body = s.substr(1, s.size() - 2);
    std::string out;
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\'') {
        if (i + 1 < body.size() && body[i + 1] == '\'') {
          out += '\'';
          ++i;
          continue;
        }
        return {};  // concatenation or several literals: not a single constant
      }
      out += body[i];
    }
    return out;
  }
  if (s.size() >= 4 && s[0] == '$') {
    size_t te = s.find('$', 1);
    if (te != std::string::npos) {
      std::string tag = s.substr(0, te + 1);
      if (s.size() >= 2 * tag.size() && s.compare(s.size() - tag.size(), tag.size(), tag) == 0)
        return s.substr(tag.size(), s.size() - 2 * tag.size());
    }
  }
  return {};
}

// Postgres's format(): %s, %I (quote_ident), %L (quote_literal), %% and positional %n$s. nullopt
// for anything else (widths, a missing argument), so a guess never reaches the analysis.
std::optional<std::string> pg_format(const std::string& fmt, const std::vector<std::string>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) return std::nullopt;
    if (fmt[i] == '%') {
      out += '%';
      continue;
    }
    size_t arg = next;
    if (std::isdigit(static_cast<unsigned char>(fmt[i]))) {
      size_t n = 0;
      while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) n = n * 10 + size_t(fmt[i++] - '0');
      if (i >= fmt.size() || fmt[i] != '$' || n == 0) return std::nullopt;
      ++i;
      if (i >= fmt.size()) return std::nullopt;
      arg = n - 1;
    }
    if (arg >= args.size()) return std::nullopt;
    next = arg + 1;
    const std::string& a = args[arg];
    if (fmt[i] == 's') {
      out += a;
    } else if (fmt[i] == 'I') {
      bool plain = !a.empty() && (std::islower(static_cast<unsigned char>(a[0])) || a[0] == '_');
      for (char ch : a)
        if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '_'))
          plain = false;
      out += plain ? a : quote_ident(a);
    } else if (fmt[i] == 'L') {
      out += quote_literal(a);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// The value of a constant text expression: 'literal', a || b, format('...', ...), quote_ident(...),
// quote_literal(...), casts of those. nullopt when it depends on a variable or anything else.
// PL/pgSQL variables whose value is known at this point of a DO block: a loop variable over a
// constant list, bound once per iteration.
using PlEnv = std::map<std::string, std::string, std::less<>>;

std::optional<std::string> constant_text(J node, int depth, const PlEnv* env = nullptr) {
  if (depth > 16) return std::nullopt;
  auto [k, b] = node_of(node);
  if (k == "ColumnRef" && env) {
    auto f = items(at(b, "fields"));
    if (f.size() != 1) return std::nullopt;
    auto it = env->find(string_node(f[0]));
    if (it == env->end()) return std::nullopt;
    return it->second;
  }
  if (k == "A_Const") {
    if (at(b, "sval").is_object()) return str(at(b, "sval"), "sval");
    if (at(b, "ival").is_object()) return std::to_string(num(at(b, "ival"), "ival", 0));
    return std::nullopt;
  }
  if (k == "TypeCast") return constant_text(at(b, "arg"), depth + 1, env);
  if (k == "A_Expr") {
    if (sv(b, "kind") != "AEXPR_OP") return std::nullopt;
    std::string op;
    for (auto&& n : items(at(b, "name"))) op = string_node(n);
    if (op != "||") return std::nullopt;
    auto l = constant_text(at(b, "lexpr"), depth + 1, env);
    auto r = l ? constant_text(at(b, "rexpr"), depth + 1, env) : std::nullopt;
    if (!r) return std::nullopt;
    return *l + *r;
  }
  if (k == "FuncCall") {
    std::string fn;
    for (auto&& n : items(at(b, "funcname"))) fn = string_node(n);
    std::vector<std::string> args;
    for (auto&& a : items(at(b, "args"))) {
      auto v = constant_text(a, depth + 1, env);
      if (!v) return std::nullopt;
      args.push_back(*v);
    }
    if (fn == "format" && !args.empty())
      return pg_format(args[0], std::vector<std::string>(args.begin() + 1, args.end()));
    if ((fn == "quote_ident" || fn == "quote_literal") && args.size() == 1)
      return pg_format(fn == "quote_ident" ? "%I" : "%L", args);
    if (fn == "concat") {
      std::string out;
      for (auto& a : args) out += a;
      return out;
    }
  }
  return std::nullopt;
}

// An EXECUTE argument evaluated when it is built from constants (and known loop variables) only.
std::optional<std::string> constant_text_expression(const std::string& expr, const PlEnv& env) {
  ParsedFile pf = parse_sql("SELECT " + expr);
  if (pf.statements.size() != 1 || !pf.statements[0].tree) return std::nullopt;
  auto [k, sel] = node_of(pf.statements[0].tree->node);
  if (k != "SelectStmt" || !at(sel, "fromClause").is_null()) return std::nullopt;
  std::optional<std::string> out;
  int n = 0;
  for (auto&& t : items(at(sel, "targetList"))) {
    if (++n > 1) return std::nullopt;
    out = constant_text(at(at(t, "ResTarget"), "val"), 0, &env);
  }
  return out;
}

constexpr size_t kMaxLoopValues = 100;  // a longer constant list is read as dynamic

// The elements of ARRAY[...] (or '{a,b}'::text[]) when each is constant.
std::optional<std::vector<std::string>> constant_array(J node, const PlEnv& env) {
  auto [k, b] = node_of(node);
  if (k == "TypeCast" && !at(at(b, "typeName"), "arrayBounds").is_null() &&
      node_of(at(b, "arg")).first == "A_Const") {
    auto lit = constant_text(at(b, "arg"), 0, &env);
    if (!lit || lit->size() < 2 || lit->front() != '{' || lit->back() != '}') return std::nullopt;
    std::vector<std::string> out;
    std::string inner = lit->substr(1, lit->size() - 2), cur;
    if (inner.find_first_of("\"{}") != std::string::npos) return std::nullopt;  // quoting, nesting
    for (char c : inner + ",") {
      if (c != ',') { cur += c; continue; }
      while (!cur.empty() && cur.front() == ' ') cur.erase(0, 1);
      while (!cur.empty() && cur.back() == ' ') cur.pop_back();
      out.push_back(cur);
      cur.clear();
    }
    return out;
  }
  if (k == "TypeCast") return constant_array(at(b, "arg"), env);
  if (k != "A_ArrayExpr") return std::nullopt;
  std::vector<std::string> out;
  for (auto&& e : items(at(b, "elements"))) {
    auto v = constant_text(e, 0, &env);
    if (!v) return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

// The values a PL/pgSQL loop binds its variable to, when they are constants: FOREACH over
// ARRAY[...], FOR over `SELECT unnest(ARRAY[...])` / `SELECT * FROM unnest(ARRAY[...])` /
// `VALUES (..), (..)`. nullopt otherwise (the loop's EXECUTEs are then dynamic).
std::optional<std::vector<std::string>> constant_loop_values(const std::string& expr, bool is_query,
                                                             const PlEnv& env) {
  ParsedFile pf = parse_sql(is_query ? expr : "SELECT " + expr);
  if (pf.statements.size() != 1 || !pf.statements[0].tree) return std::nullopt;
  auto [k, sel] = node_of(pf.statements[0].tree->node);
  if (k != "SelectStmt") return std::nullopt;
  std::optional<std::vector<std::string>> out;
  if (!at(sel, "valuesLists").is_null()) {  // VALUES ('a'), ('b')
    out.emplace();
    for (auto&& row : items(at(sel, "valuesLists"))) {
      auto cells = items(row);
      if (cells.size() != 1) return std::nullopt;
      auto v = constant_text(cells[0], 0, &env);
      if (!v) return std::nullopt;
      out->push_back(*v);
    }
  } else {
    auto targets = items(at(sel, "targetList"));
    auto from = items(at(sel, "fromClause"));
    if (targets.size() != 1 || !at(sel, "whereClause").is_null()) return std::nullopt;
    J val = at(at(targets[0], "ResTarget"), "val");
    J call;  // unnest(...) in the target list, or `SELECT * FROM unnest(...)`
    if (!is_query && from.size() == 0)
      return constant_array(val, env);
    if (from.size() == 0 && node_of(val).first == "FuncCall") call = node_of(val).second;
    if (from.size() == 1 && node_of(from[0]).first == "RangeFunction") {
      auto fl = items(at(node_of(from[0]).second, "functions"));
      if (fl.size() == 1 && items(fl[0]).size() >= 1) {
        auto [fk, fb] = node_of(items(fl[0])[0]);
        if (fk == "FuncCall") call = fb;
      }
    }
    if (!call.is_object()) return std::nullopt;
    std::string fn;
    for (auto&& n : items(at(call, "funcname"))) fn = string_node(n);
    auto args = items(at(call, "args"));
    if (fn != "unnest" || args.size() != 1) return std::nullopt;
    out = constant_array(args[0], env);
  }
  if (out && out->size() > kMaxLoopValues) return std::nullopt;
  return out;
}

struct PlCollector {
  std::vector<std::string> names;  // datum number -> variable name
  std::vector<std::string>& sql;
  bool& dynamic;
  size_t budget = 1000;      // statements built by loops, at most
  size_t iterations = 2000;  // loop bodies walked, at most (nested loops multiply)

  void collect(J j, PlEnv& env, bool first_pass) {
    walk_members(j, [&](std::string_view key, J value) {
      if (key == "PLpgSQL_stmt_execsql") {
        // Static SQL in a loop body is the same statement each time: once.
        std::string q = str(at(at(value, "sqlstmt"), "PLpgSQL_expr"), "query");
        if (!q.empty() && first_pass) sql.push_back(q);
        return false;
      }
      if (key == "PLpgSQL_stmt_dynexecute") {
        std::string q = str(at(at(value, "query"), "PLpgSQL_expr"), "query");
        std::string lit = unquote_sql_string(q);
        if (lit.empty())
          if (auto v = constant_text_expression(q, env)) lit = *v;
        if (!lit.empty() && budget > 0) {
          --budget;
          // A later iteration building the same statement again adds nothing.
          if (first_pass || std::find(sql.begin(), sql.end(), lit) == sql.end()) sql.push_back(lit);
        } else {
          dynamic = true;  // built from something unknown, or past the budget: not analysed
        }
        return false;
      }
      std::string var;
      std::optional<std::vector<std::string>> values;
      if (key == "PLpgSQL_stmt_foreach_a") {
        int varno = num(value, "varno", -1);
        if (varno >= 0 && size_t(varno) < names.size()) var = names[size_t(varno)];
        if (num(value, "slice", 0) == 0)
          values = constant_loop_values(str(at(at(value, "expr"), "PLpgSQL_expr"), "query"), false, env);
      } else if (key == "PLpgSQL_stmt_fors") {
        J v = at(value, "var");
        if (auto row = at(v, "PLpgSQL_row"); row.is_object()) {
          auto fields = items(at(row, "fields"));
          if (fields.size() == 1) var = str(fields[0], "name");
        } else if (auto pv = at(v, "PLpgSQL_var"); pv.is_object()) {
          var = str(pv, "refname");
        }
        values = constant_loop_values(str(at(at(value, "query"), "PLpgSQL_expr"), "query"), true, env);
      } else if (key == "PLpgSQL_stmt_fori") {
        var = str(at(at(value, "var"), "PLpgSQL_var"), "refname");
        auto lo = constant_text_expression(str(at(at(value, "lower"), "PLpgSQL_expr"), "query"), env);
        auto hi = constant_text_expression(str(at(at(value, "upper"), "PLpgSQL_expr"), "query"), env);
        std::string step_sql = str(at(at(value, "step"), "PLpgSQL_expr"), "query");
        auto step = step_sql.empty() ? std::optional<std::string>("1") : constant_text_expression(step_sql, env);
        try {
          if (lo && hi && step) {
            long a = std::stol(*lo), z = std::stol(*hi), d = std::stol(*step);
            if (flag(value, "reverse")) std::swap(a, z);
            constexpr long kRange = 1'000'000'000;  // keeps z - a from overflowing
            if (d > 0 && a > -kRange && z < kRange && a < kRange && z > -kRange && (z - a) / d < long(kMaxLoopValues)) {
              values.emplace();
              if (flag(value, "reverse"))
                for (long x = z; x >= a; x -= d) values->push_back(std::to_string(x));
              else
                for (long x = a; x <= z; x += d) values->push_back(std::to_string(x));
            }
          }
        } catch (const std::exception&) {
          values.reset();  // not integers
        }
      } else {
        return true;
      }
      J body = at(value, "body");
      if (var.empty() || !values) {  // unknown values: the body's EXECUTEs that use var are dynamic
        PlEnv inner = env;
        if (!var.empty()) inner.erase(var);
        collect(body, inner, first_pass);
        return false;
      }
      if (values->empty()) {  // the body never runs; its static SQL is still read, once
        collect(body, env, first_pass);
        return false;
      }
      for (size_t i = 0; i < values->size(); ++i) {
        if (iterations == 0) {  // too much to unroll: what is left is not analysed
          dynamic = true;
          break;
        }
        --iterations;
        PlEnv inner = env;
        inner[var] = (*values)[i];
        collect(body, inner, first_pass && i == 0);
      }
      return false;
    });
  }
};

void collect_plpgsql(J j, std::vector<std::string>& sql, bool& dynamic) {
  PlCollector c{{}, sql, dynamic};
  for (auto&& fn : items(j)) {
    J f = at(fn, "PLpgSQL_function");
    for (auto&& d : items(at(f, "datums"))) {
      auto [dk, db] = node_of(d);
      c.names.push_back(dk == "PLpgSQL_var" ? str(db, "refname") : std::string());
    }
    PlEnv env;
    c.collect(at(f, "action"), env, true);
  }
}

LoweredStatement lower_node(const Ctx& cx, J node, size_t stmt_begin, int depth);

void lower_do_block(const Ctx& cx, J d, size_t stmt_begin, int depth, LoweredStatement& out) {
  out.do_block = true;
  std::string body, language = "plpgsql";
  for (auto&& a : items(at(d, "args"))) {
    J de = at(a, "DefElem");
    if (sv(de, "defname") == "as") body = str(at(at(de, "arg"), "String"), "sval");
    if (sv(de, "defname") == "language") language = str(at(at(de, "arg"), "String"), "sval");
  }
  if (language != "plpgsql" || body.empty() || depth > 4) return;
  // libpg_query parses PL/pgSQL as a function body; wrap the DO body in one.
  std::string tag = "$pgstage_do$";
  while (body.find(tag) != std::string::npos) tag.insert(1, "x");
  std::string fn = "CREATE FUNCTION pgstage_do() RETURNS void LANGUAGE plpgsql AS " + tag + body + tag;
  PgQueryPlpgsqlParseResult r = pg_query_parse_plpgsql(fn.c_str());
  std::vector<std::string> sqls;
  bool dynamic = false;
  if (!r.error && r.plpgsql_funcs) {
    if (auto doc = parse_json_document(r.plpgsql_funcs)) collect_plpgsql(doc->root, sqls, dynamic);
  }
  pg_query_free_plpgsql_parse_result(r);
  out.do_block_dynamic = dynamic;
  const std::string& text = cx.file.text;
  size_t search_from = stmt_begin;
  for (auto&& sql : sqls) {
    ParsedFile pf = parse_sql(sql);
    // Report inner statements where they stand in the file when the text can be found.
    size_t found = text.find(sql, search_from);
    bool located = found != std::string::npos && found < cx.stmt_end;
    for (auto&& inner : pf.statements) {
      if (!inner.tree) continue;
      Ctx icx{cx.file, 0, 0};
      // Locations inside `sql` map to the file only when the text was found verbatim.
      SourceFile tmp;
      const SourceFile* src = &cx.file;
      if (located) {
        icx.base = int(found) + inner.tree->base;
        icx.stmt_end = found + inner.end;
      } else {
        tmp = make_source(cx.file.path, sql, Layout::Plain);
        src = &tmp;
        icx.base = inner.tree->base;
        icx.stmt_end = inner.end;
      }
      Ctx real{*src, icx.base, icx.stmt_end};
      LoweredStatement ls = lower_node(real, inner.tree->node, located ? found + inner.begin : stmt_begin, depth + 1);
      for (auto&& c : ls.changes) {
        c.from_do_block = true;
        if (!located)
          c.location = int(stmt_begin);
        else if (c.location < 0)
          c.location = int(found + inner.begin);
        out.changes.push_back(std::move(c));
      }
    }
    if (located) search_from = found + sql.size();
  }
}

LoweredStatement lower_node(const Ctx& cx, J node, size_t stmt_begin, int depth) {
  LoweredStatement out;
  auto [kind, bp] = node_of(node);
  J b = bp;
  out.kind = std::string(kind);
  auto push = [&](ChangeValue v, int loc = -1) { out.changes.push_back(Change{std::move(v), loc, false}); };

  if (kind == "CreateStmt") {
    CreateTable t;
    t.table = range_var(at(b, "relation"));
    t.if_not_exists = flag(b, "if_not_exists");
    t.unlogged = str(at(b, "relation"), "relpersistence") == "u";
    if (!at(b, "partbound").is_null())
      for (auto&& p : items(at(b, "inhRelations"))) t.partition_of = range_var(p);
    t.partitioned = !at(b, "partspec").is_null();
    for (auto&& e : items(at(b, "tableElts"))) {
      auto [ek, eb] = node_of(e);
      if (ek == "ColumnDef")
        t.columns.push_back(column_def(cx, e));
      else if (ek == "Constraint")
        t.constraints.push_back(constraint_of(cx, e));
    }
    push(std::move(t));
  } else if (kind == "AlterDomainStmt") {
    AlterDomain d;
    d.domain = name_list(at(b, "typeName"));
    d.constraint = str(b, "name");
    std::string sub = str(b, "subtype");
    using A = AlterDomain::Action;
    d.action = sub == "C"   ? A::AddConstraint
               : sub == "V" ? A::ValidateConstraint
               : sub == "X" ? A::DropConstraint
               : sub == "O" ? A::SetNotNull
               : sub == "N" ? A::DropNotNull
               : sub == "T" ? A::Default
                            : A::Other;
    if (d.action == A::AddConstraint) {
      J k = at(at(b, "def"), "Constraint");
      d.check = sv(k, "contype") == "CONSTR_CHECK";
      d.not_valid = flag(k, "skip_validation");
      if (d.constraint.empty()) d.constraint = str(k, "conname");
    }
    push(std::move(d));
  } else if (kind == "CreateTableAsStmt") {
    J into = at(b, "into");
    QualifiedName n = range_var(at(into, "rel"));
    if (str(b, "objtype") == "OBJECT_MATVIEW")
      push(CreateView{n, true, false});
    else {
      CreateTable t;
      t.table = n;
      t.as_select = true;
      t.with_data = !flag(into, "skipData");
      t.if_not_exists = flag(b, "if_not_exists");
      if (t.with_data) t.copied_from = tables_read(at(b, "query"));
      push(std::move(t));
    }
  } else if (kind == "AlterTableStmt") {
    lower_alter_table(cx, b, out);
  } else if (kind == "RenameStmt") {
    std::string rt = str(b, "renameType");
    QualifiedName rel = range_var(at(b, "relation"));
    std::string newname = str(b, "newname");
    std::string reltype = str(b, "relationType");
    if (rt == "OBJECT_COLUMN" && (reltype == "OBJECT_TABLE" || reltype == "OBJECT_FOREIGN_TABLE"))
      push(RenameColumn{rel, str(b, "subname"), newname});
    else if (rt == "OBJECT_TABLE" || rt == "OBJECT_FOREIGN_TABLE")
      push(RenameTable{rel, newname, false});
    else if (rt == "OBJECT_TABCONSTRAINT")
      push(RenameObject{"constraint", rel, str(b, "subname"), newname, rel});
    else if (rt == "OBJECT_POLICY")  // ALTER POLICY p ON t RENAME TO q: the table is locked (commands/policy.c)
      push(RenameObject{"policy", rel, str(b, "subname"), newname, rel});
    else if (rt == "OBJECT_INDEX")
      push(RenameObject{"index", rel, rel.name, newname, {}});
    else if (rt == "OBJECT_VIEW" || rt == "OBJECT_MATVIEW" || rt == "OBJECT_SEQUENCE")
      push(RenameObject{object_kind(rt), rel, rel.name, newname, {}});
    else if (rt == "OBJECT_COLUMN")
      push(RenameObject{object_kind(reltype) + " column", rel, str(b, "subname"), newname, {}});
    else if (rt == "OBJECT_SCHEMA")
      push(RenameObject{"schema", QualifiedName{"", str(b, "subname")}, str(b, "subname"), newname, {}});
    else {
      QualifiedName n = drop_object_name(at(b, "object"));
      if (n.empty()) n = rel;
      push(RenameObject{object_kind(rt), n, n.name, newname, {}});
    }
  } else if (kind == "AlterObjectSchemaStmt") {
    QualifiedName rel = range_var(at(b, "relation"));
    if (rel.empty()) rel = drop_object_name(at(b, "object"));
    push(RenameObject{object_kind(str(b, "objectType")) + " schema", rel, rel.schema, str(b, "newschema"),
                      str(b, "objectType") == "OBJECT_TABLE" ? rel : QualifiedName{}});
  } else if (kind == "IndexStmt") {
    CreateIndex ci;
    ci.name = str(b, "idxname");
    ci.table = range_var(at(b, "relation"));
    ci.only = !flag(at(b, "relation"), "inh");  // RangeVar.inh is false for ON ONLY
    ci.unique = flag(b, "unique");
    ci.concurrently = flag(b, "concurrent");
    ci.if_not_exists = flag(b, "if_not_exists");
    ci.partial = !at(b, "whereClause").is_null();
    ci.method = str(b, "accessMethod");
    for (auto&& p : items(at(b, "indexParams"))) {
      J ie = at(p, "IndexElem");
      std::string n = str(ie, "name");
      if (n.empty()) n = make_expr(cx, at(ie, "expr"), false).sql;
      ci.columns.push_back(n);
      // COLLATE, operator class, ASC/DESC, NULLS FIRST/LAST: kept so that a copy keeps them.
      std::string opts;
      auto quoted_list = [](const std::vector<std::string>& parts) {
        std::string q;
        for (auto& x : parts) q += (q.empty() ? "" : ".") + quote_ident(x);
        return q;
      };
      if (auto coll = string_list(at(ie, "collation")); !coll.empty()) opts += " COLLATE " + quoted_list(coll);
      if (auto opc = string_list(at(ie, "opclass")); !opc.empty()) opts += " " + quoted_list(opc);
      std::string ord(sv(ie, "ordering")), nulls(sv(ie, "nulls_ordering"));
      if (ord == "SORTBY_DESC") opts += " DESC";
      if (nulls == "SORTBY_NULLS_FIRST") opts += " NULLS FIRST";
      if (nulls == "SORTBY_NULLS_LAST") opts += " NULLS LAST";
      ci.key_options.push_back(opts);
    }
    for (auto&& p : items(at(b, "indexIncludingParams"))) ci.include.push_back(str(at(p, "IndexElem"), "name"));
    if (ci.partial) ci.where_sql = make_expr(cx, at(b, "whereClause"), false).sql;
    ci.storage = IndexStorage{flag(b, "nulls_not_distinct"), storage_parameters(at(b, "options")), str(b, "tableSpace")};
    push(std::move(ci));
  } else if (kind == "DropStmt") {
    std::string rt = str(b, "removeType");
    bool cascade = sv(b, "behavior") == "DROP_CASCADE";
    bool if_exists = flag(b, "missing_ok");
    std::vector<QualifiedName> names;
    for (auto&& o : items(at(b, "objects"))) names.push_back(drop_object_name(o));
    if (rt == "OBJECT_TABLE")
      push(DropTable{names, if_exists, cascade});
    else if (rt == "OBJECT_INDEX")
      push(DropIndex{names, flag(b, "concurrent"), if_exists, cascade});
    else if (rt == "OBJECT_TRIGGER") {
      for (auto&& o : items(at(b, "objects"))) {
        std::vector<std::string> parts;
        for (auto&& it : items(o)) parts.push_back(string_node(it));
        if (parts.size() < 2) continue;
        QualifiedName t{parts.size() >= 3 ? parts[parts.size() - 3] : "", parts[parts.size() - 2]};
        push(TriggerChange{t, parts.back(), TriggerAction::Drop});
      }
    } else if (rt == "OBJECT_POLICY") {
      // DROP POLICY p ON [schema.]table: the object is [schema,] table, policy.
      for (auto&& o : items(at(b, "objects"))) {
        std::vector<std::string> parts;
        for (auto&& it : items(o)) parts.push_back(string_node(it));
        if (parts.size() < 2) continue;
        QualifiedName t{parts.size() >= 3 ? parts[parts.size() - 3] : "", parts[parts.size() - 2]};
        push(OtherStatement{"DropPolicyStmt", t, parts.back()});
      }
    } else
      push(DropObject{object_kind(rt), names, if_exists, cascade});
  } else if (kind == "ReindexStmt") {
    std::string k = str(b, "kind");
    Reindex r;
    r.kind = k == "REINDEX_OBJECT_INDEX"    ? "index"
             : k == "REINDEX_OBJECT_TABLE"  ? "table"
             : k == "REINDEX_OBJECT_SCHEMA" ? "schema"
             : k == "REINDEX_OBJECT_SYSTEM" ? "system"
                                            : "database";
    r.name = range_var(at(b, "relation"));
    if (r.name.empty()) r.name = QualifiedName{"", str(b, "name")};
    for (auto&& p : items(at(b, "params"))) {
      J de = at(p, "DefElem");
      if (sv(de, "defname") == "concurrently") {
        r.concurrently = option_enabled(at(de, "arg"));  // (CONCURRENTLY false) turns it off
      }
    }
    push(std::move(r));
  } else if (kind == "TruncateStmt") {
    Truncate t;
    for (auto&& r : items(at(b, "relations"))) t.tables.push_back(range_var(r));
    t.cascade = sv(b, "behavior") == "DROP_CASCADE";
    push(std::move(t));
  } else if (kind == "DropdbStmt") {
    push(DropDatabase{str(b, "dbname")});
  } else if (kind == "VacuumStmt") {
    Vacuum v;
    v.analyze_only = !flag(b, "is_vacuumcmd");
    for (auto&& o : items(at(b, "options"))) {
      J de = at(o, "DefElem");
      if (sv(de, "defname") == "full") v.full = option_enabled(at(de, "arg"));
    }
    for (auto&& r : items(at(b, "rels"))) v.tables.push_back(range_var(at(at(r, "VacuumRelation"), "relation")));
    push(std::move(v));
  } else if (kind == "ClusterStmt") {
    push(Cluster{range_var(at(b, "relation"))});
  } else if (kind == "RefreshMatViewStmt") {
    push(RefreshMatView{range_var(at(b, "relation")), flag(b, "concurrent")});
  } else if (kind == "LockStmt") {
    static const char* kModes[] = {
        "",      "ACCESS SHARE",        "ROW SHARE", "ROW EXCLUSIVE",   "SHARE UPDATE EXCLUSIVE",
        "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"};
    LockTable l;
    for (auto&& r : items(at(b, "relations"))) l.tables.push_back(range_var(r));
    int m = num(b, "mode", 8);
    l.mode = (m >= 1 && m <= 8) ? kModes[m] : "ACCESS EXCLUSIVE";
    push(std::move(l));
  } else if (kind == "CreateTrigStmt") {
    push(TriggerChange{range_var(at(b, "relation")), str(b, "trigname"), TriggerAction::Create});
  } else if (kind == "CreateEnumStmt") {
    push(CreateEnum{name_list(at(b, "typeName")), string_list(at(b, "vals"))});
  } else if (kind == "AlterEnumStmt") {
    QualifiedName t = name_list(at(b, "typeName"));
    if (!str(b, "oldVal").empty())
      push(RenameObject{"enum value", t, str(b, "oldVal"), str(b, "newVal"), {}});
    else
      push(AlterEnumAddValue{t, str(b, "newVal"), flag(b, "skipIfNewValExists")});
  } else if (kind == "ViewStmt") {
    push(CreateView{range_var(at(b, "view")), false, flag(b, "replace")});
  } else if (kind == "CreateFunctionStmt") {
    std::string returns = type_name(at(b, "returnType")).name;
    push(CreateOther{flag(b, "is_procedure") ? "procedure" : "function", name_list(at(b, "funcname")), false,
                     returns == "trigger" || returns == "event_trigger", !at(b, "sql_body").is_null()});
  } else if (kind == "CreateSeqStmt") {
    bool owned = false;
    for (auto&& o : items(at(b, "options")))
      if (str(at(o, "DefElem"), "defname") == "owned_by") owned = true;
    push(CreateOther{"sequence", range_var(at(b, "sequence")), false, owned});
  } else if (kind == "CreateSchemaStmt") {
    push(CreateOther{"schema", QualifiedName{"", str(b, "schemaname")}});
  } else if (kind == "CreateExtensionStmt") {
    push(CreateOther{"extension", QualifiedName{"", str(b, "extname")}});
  } else if (kind == "CompositeTypeStmt") {
    push(CreateOther{"type", range_var(at(b, "typevar"))});
  } else if (kind == "CreateRangeStmt") {
    push(CreateOther{"type", name_list(at(b, "typeName"))});
  } else if (kind == "DefineStmt" && sv(b, "kind") == "OBJECT_TYPE") {
    push(CreateOther{"type", name_list(at(b, "defnames"))});  // CREATE TYPE t (INPUT = ...), or a shell type
  } else if (kind == "CreateDomainStmt") {
    push(CreateOther{"domain", name_list(at(b, "domainname")), !items(at(b, "constraints")).empty()});
  } else if (kind == "TransactionStmt") {
    std::string k = str(b, "kind");
    TxKind tk = TxKind::Begin;
    if (k == "TRANS_STMT_BEGIN" || k == "TRANS_STMT_START")
      tk = TxKind::Begin;
    else if (k == "TRANS_STMT_COMMIT")
      tk = TxKind::Commit;
    else if (k == "TRANS_STMT_ROLLBACK")
      tk = TxKind::Rollback;
    else if (k == "TRANS_STMT_SAVEPOINT")
      tk = TxKind::Savepoint;
    else if (k == "TRANS_STMT_RELEASE")
      tk = TxKind::Release;
    else if (k == "TRANS_STMT_ROLLBACK_TO")
      tk = TxKind::RollbackTo;
    else if (k == "TRANS_STMT_PREPARE")
      tk = TxKind::Prepare;
    else if (k == "TRANS_STMT_COMMIT_PREPARED")
      tk = TxKind::CommitPrepared;
    else if (k == "TRANS_STMT_ROLLBACK_PREPARED")
      tk = TxKind::RollbackPrepared;
    push(TransactionControl{tk});
  } else if (kind == "VariableSetStmt") {
    SetVariable v;
    v.name = str(b, "name");
    v.local = flag(b, "is_local");
    std::string k = str(b, "kind");
    v.reset = k == "VAR_RESET" || k == "VAR_RESET_ALL" || k == "VAR_SET_DEFAULT";
    for (auto&& a : items(at(b, "args"))) {
      J c = at(a, "A_Const");
      if (at(c, "sval").is_object())
        v.value = str(at(c, "sval"), "sval");
      else if (at(c, "ival").is_object())
        v.value = std::to_string(num(at(c, "ival"), "ival", 0));
      else if (at(c, "fval").is_object())
        v.value = str(at(c, "fval"), "fval");
    }
    push(std::move(v));
  } else if (kind == "UpdateStmt" || kind == "DeleteStmt") {
    push(Dml{kind == "UpdateStmt" ? DmlKind::Update : DmlKind::Delete, range_var(at(b, "relation")),
             !at(b, "whereClause").is_null(), false});
  } else if (kind == "InsertStmt") {
    J sel = at(at(b, "selectStmt"), "SelectStmt");
    bool from_select = sel.is_object() && at(sel, "valuesLists").is_null();
    push(Dml{DmlKind::Insert, range_var(at(b, "relation")), false, from_select,
             from_select ? tables_read(at(b, "selectStmt")) : std::vector<QualifiedName>{}});
  } else if (kind == "MergeStmt") {
    push(Dml{DmlKind::Merge, range_var(at(b, "relation")), true, true});
  } else if (kind == "CopyStmt") {
    if (flag(b, "is_from"))
      push(Dml{DmlKind::Copy, range_var(at(b, "relation")), false, false});
    else
      push(OtherStatement{std::string(kind), range_var(at(b, "relation"))});
  } else if (kind == "DoStmt") {
    lower_do_block(cx, b, stmt_begin, depth, out);
    if (out.changes.empty()) push(OtherStatement{std::string(kind), {}});
  } else if (kind == "CommentStmt") {
    QualifiedName t;
    std::string ot = str(b, "objtype");
    if (ot == "OBJECT_TABLE" || ot == "OBJECT_COLUMN") {
      t = name_list(at(b, "object"));
      if (ot == "OBJECT_COLUMN") {
        auto parts = string_list(at(b, "object"));
        if (parts.size() >= 2)
          t = QualifiedName{parts.size() >= 3 ? parts[parts.size() - 3] : "", parts[parts.size() - 2]};
      }
    }
    push(OtherStatement{std::string(kind), t});
  } else if (kind == "CreatePolicyStmt" || kind == "AlterPolicyStmt") {
    push(OtherStatement{std::string(kind), range_var(at(b, "table")), str(b, "policy_name")});
  } else if (kind == "CreateStatsStmt") {
    QualifiedName t;
    for (auto&& r : items(at(b, "relations"))) t = range_var(r);
    push(OtherStatement{std::string(kind), t});
  } else {
    push(OtherStatement{std::string(kind), {}});
  }
  return out;
}

}  // namespace

std::string change_kind_name(const Change& c) {
  static const char* kNames[] = {"CreateTable",       "AddColumn",
                                 "DropColumn",        "RenameColumn",
                                 "RenameTable",       "AlterColumnType",
                                 "SetNotNull",        "DropNotNull",
                                 "SetDefault",        "DropDefault",
                                 "AddConstraint",     "ValidateConstraint",
                                 "DropConstraint",    "CreateIndex",
                                 "DropIndex",         "Reindex",
                                 "DropTable",         "DropObject",
                                 "RenameObject",      "Truncate",
                                 "DropDatabase",      "Vacuum",
                                 "Cluster",           "RefreshMatView",
                                 "LockTable",         "TriggerChange",
                                 "AttachPartition",   "DetachPartition",
                                 "AlterTableOther",   "CreateEnum",
                                 "AlterEnumAddValue", "CreateView",
                                 "CreateOther",       "AlterDomain",
                                 "TransactionControl",
                                 "SetVariable",       "Dml",
                                 "OtherStatement"};
  static_assert(std::size(kNames) == std::variant_size_v<ChangeValue>);
  return kNames[c.value.index()];
}

std::string change_sql_words(const Change& c) {
  static const char* kWords[] = {"CREATE TABLE",         "ADD COLUMN",
                                 "DROP COLUMN",          "RENAME COLUMN",
                                 "RENAME TO",            "ALTER COLUMN ... TYPE",
                                 "SET NOT NULL",         "DROP NOT NULL",
                                 "SET DEFAULT",          "DROP DEFAULT",
                                 "ADD CONSTRAINT",       "VALIDATE CONSTRAINT",
                                 "DROP CONSTRAINT",      "CREATE INDEX",
                                 "DROP INDEX",           "REINDEX",
                                 "DROP TABLE",           "DROP",
                                 "RENAME",               "TRUNCATE",
                                 "DROP DATABASE",        "VACUUM",
                                 "CLUSTER",              "REFRESH MATERIALIZED VIEW",
                                 "LOCK TABLE",           "a trigger change",
                                 "ATTACH PARTITION",     "DETACH PARTITION",
                                 "ALTER TABLE",          "CREATE TYPE ... AS ENUM",
                                 "ALTER TYPE ... ADD VALUE", "CREATE VIEW",
                                 "CREATE",               "ALTER DOMAIN",
                                 "a transaction statement",
                                 "SET",                  "a data change (INSERT, UPDATE, DELETE)",
                                 "statement"};
  static_assert(std::size(kWords) == std::variant_size_v<ChangeValue>);
  return kWords[c.value.index()];
}

namespace {

// The words of an unparsed statement's head: identifiers lower-cased unless quoted, "." kept as a
// word; stops at the first other character (a parenthesis, AS, ...). Comments are skipped.
std::vector<std::pair<std::string, bool>> head_words(std::string_view t, size_t max_words) {
  std::vector<std::pair<std::string, bool>> out;  // (word, quoted)
  size_t i = 0;
  while (i < t.size() && out.size() < max_words) {
    char ch = t[i];
    if (std::isspace(static_cast<unsigned char>(ch))) {
      ++i;
    } else if (t.substr(i, 2) == "--") {
      while (i < t.size() && t[i] != '\n') ++i;
    } else if (t.substr(i, 2) == "/*") {
      size_t e = t.find("*/", i + 2);
      i = e == std::string_view::npos ? t.size() : e + 2;
    } else if (ch == '"') {
      std::string w;
      for (++i; i < t.size(); ++i) {
        if (t[i] == '"' && i + 1 < t.size() && t[i + 1] == '"') {
          w += '"';
          ++i;
        } else if (t[i] == '"') {
          ++i;
          break;
        } else {
          w += t[i];
        }
      }
      out.emplace_back(w, true);
    } else if (ch == '.') {
      out.emplace_back(".", false);
      ++i;
    } else if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || static_cast<unsigned char>(ch) >= 0x80) {
      std::string w;
      while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '_' || t[i] == '$' ||
                              static_cast<unsigned char>(t[i]) >= 0x80))
        w += ascii_lower(t[i++]);
      out.emplace_back(w, false);
    } else {
      break;
    }
  }
  return out;
}

// What an unparsed statement creates, read from its head (`CREATE [OR REPLACE] [TEMP | UNLOGGED]
// TABLE [IF NOT EXISTS] name`, `CREATE [MATERIALIZED] VIEW name`): a statement in syntax newer than
// the bundled grammar still creates its table, so later statements on it are on a new table.
LoweredStatement lower_unparsed(const Statement& st, const SourceFile& file) {
  LoweredStatement out;
  out.kind = "Unparsed";
  if (st.begin > file.text.size() || st.end < st.begin) return out;
  auto w = head_words(std::string_view(file.text).substr(st.begin, st.end - st.begin), 16);
  size_t i = 0;
  auto is = [&](std::string_view word) { return i < w.size() && !w[i].second && w[i].first == word; };
  if (!is("create")) return out;
  ++i;
  if (is("or")) i += 2;  // OR REPLACE
  while (is("temp") || is("temporary") || is("unlogged") || is("global") || is("local")) ++i;
  bool materialized = is("materialized");
  if (materialized) ++i;
  bool table = is("table"), view = is("view");
  if (!table && !view) return out;
  ++i;
  if (table && is("if")) i += 3;  // IF NOT EXISTS
  if (i >= w.size() || w[i].first == ".") return out;
  QualifiedName name{"", w[i].first};
  if (i + 2 < w.size() && w[i + 1].first == "." && !w[i + 1].second) name = QualifiedName{w[i].first, w[i + 2].first};
  if (table) {
    CreateTable t;
    t.table = name;
    t.as_select = true;  // columns unknown
    out.changes.push_back(Change{std::move(t), int(st.begin), false});
  } else {
    out.changes.push_back(Change{CreateView{name, materialized, false}, int(st.begin), false});
  }
  return out;
}

}  // namespace

LoweredStatement lower(const Statement& st, const SourceFile& file) {
  if (!st.tree) return st.error ? lower_unparsed(st, file) : LoweredStatement{};
  try {
    Ctx cx{file, st.tree->base, st.end};
    return lower_node(cx, st.tree->node, st.begin, 0);
  } catch (const std::exception&) {
    LoweredStatement out;
    out.kind = "Unknown";
    out.changes.push_back(Change{OtherStatement{"Unknown", {}}, -1, false});
    return out;
  }
}

}  // namespace pgstage
