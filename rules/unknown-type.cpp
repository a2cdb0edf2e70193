#include "rules/rule_support.h"

namespace pgstage::rules {
namespace unknown_type {

// Type names of other databases that Postgres does not have. A list, not "any name Postgres does not
// know": an extension or an earlier migration may create any type, and only these names are known
// to be mistakes. `extension`: one that does create a type of this name (then it is not reported
// when the migrations create that extension).
struct ForeignType {
  std::string_view name;
  std::string_view from;     // the databases that use the name
  std::string_view instead;  // the Postgres type to use
  std::string_view extension = {};
};

constexpr ForeignType kForeign[] = {
    {"datetime", "MySQL, SQL Server and SQLite", "timestamptz", ""},
    {"datetime2", "SQL Server", "timestamp", ""},
    {"datetimeoffset", "SQL Server", "timestamptz", ""},
    {"smalldatetime", "SQL Server", "timestamp(0)", ""},
    {"tinyint", "MySQL and SQL Server", "smallint", "tinyint"},
    {"mediumint", "MySQL", "integer", ""},
    {"double", "MySQL", "double precision", ""},
    {"tinytext", "MySQL", "text", ""},
    {"mediumtext", "MySQL", "text", ""},
    {"longtext", "MySQL", "text", ""},
    {"ntext", "SQL Server", "text", ""},
    {"nvarchar", "SQL Server", "varchar (or text)", ""},
    {"varchar2", "Oracle", "varchar (or text)", "orafce"},
    {"nvarchar2", "Oracle", "varchar (or text)", "orafce"},
    {"clob", "Oracle", "text", ""},
    {"nclob", "Oracle", "text", ""},
    {"number", "Oracle", "numeric", ""},
    {"blob", "MySQL, Oracle and SQLite", "bytea", ""},
    {"tinyblob", "MySQL", "bytea", ""},
    {"mediumblob", "MySQL", "bytea", ""},
    {"longblob", "MySQL", "bytea", ""},
    {"varbinary", "MySQL and SQL Server", "bytea", ""},
    {"uniqueidentifier", "SQL Server", "uuid", ""},
    {"smallmoney", "SQL Server", "numeric(10,4)", ""},
};

const ForeignType* foreign(const TypeName& t) {
  if (!t.schema.empty() || t.is_serial) return nullptr;
  for (const ForeignType& f : kForeign)
    if (t.name == f.name) return &f;
  return nullptr;
}

// Whether a type of this name may exist: created by a migration seen (type, enum, domain, in any
// schema, also earlier in this DO block), used by a column the schema already has (a live database
// or the history), or provided by an extension the migrations create.
// Extensions that emulate another database and create its types (Babelfish: SQL Server's).
bool emulates_other_database(const std::string& extension) {
  return extension == "babelfishpg_common" || extension == "babelfishpg_tsql";
}

bool may_exist(const StatementContext& ctx, const ForeignType& f, const Change& at) {
  for (const CatalogObject* o : ctx.catalog.objects()) {
    if ((o->kind == "type" || o->kind == "domain") && o->name.name == f.name) return true;
    if (o->kind == "extension" && ((!f.extension.empty() && o->name.name == f.extension) ||
                                   emulates_other_database(o->name.name)))
      return true;
  }
  for (const Change& c : ctx.lowered.changes) {
    if (&c == &at) break;
    if (auto* e = c.as<CreateEnum>(); e && e->name.name == f.name) return true;
    if (auto* o = c.as<CreateOther>(); o && (o->kind == "type" || o->kind == "domain") && o->name.name == f.name)
      return true;
    if (auto* o = c.as<CreateOther>(); o && o->kind == "extension" &&
                                        ((!f.extension.empty() && o->name.name == f.extension) ||
                                         emulates_other_database(o->name.name)))
      return true;
  }
  for (const CatalogTable* t : ctx.catalog.tables())
    for (const CatalogColumn& col : t->columns)
      if (col.type.schema.empty() && col.type.name == f.name) return true;
  return false;
}

void check(const StatementContext& ctx, Reporter& r) {
  each_written_column(ctx, [&](const WrittenColumn& w) {
    const ForeignType* f = foreign(*w.type);
    if (!f || may_exist(ctx, *f, w.change)) return;
    std::string instead(f->instead);
    std::string dims;
    for (int i = 0; i < w.type->array_dims; ++i) dims += "[]";
    std::string ext = f->extension.empty()
                          ? std::string()
                          : " (the " + std::string(f->extension) +
                                " extension provides one, but no migration seen creates that extension)";
    r.report("column " + tick(w.table, w.column) + " has type `" + w.type->str() + "` (a type of " +
                 std::string(f->from) + "), which Postgres does not have: the statement fails with `type \"" +
                 w.type->name +
                 "\" does not exist`, since no migration seen creates a type or domain of that name" + ext,
             "Use the Postgres type, " + instead + ":\n  " + quote_ident(w.column) + " " +
                 instead.substr(0, instead.find(" (")) + dims,
             w.location);
  });
}

}  // namespace unknown_type

extern const Rule rule_unknown_type = {
    .id = "unknown-type",
    .category = Category::Meta,
    .severity = Severity::Error,
    .summary =
        "A column type named as in another database (DATETIME, TINYINT, NVARCHAR, LONGTEXT, VARCHAR2, ...) that "
        "Postgres does not have, and no migration creates",
    .why =
        "Postgres refuses a type name it does not know with `type \"datetime\" does not exist`, so the migration "
        "fails at deploy time. Names from MySQL, SQL Server, Oracle or SQLite are the usual cause. Only names known "
        "to be other databases' types are reported, and not when a migration seen creates a type or domain of that "
        "name (or the extension that provides it, such as orafce for VARCHAR2, or Babelfish), or a column already "
        "uses it.",
    .lock = "None: the statement fails before it changes anything.",
    .instead =
        "Use the Postgres type: DATETIME -> timestamptz (or timestamp), TINYINT -> smallint, MEDIUMINT -> "
        "integer, NVARCHAR/VARCHAR2 -> varchar or text, LONGTEXT/CLOB -> text, BLOB/VARBINARY -> bytea, "
        "UNIQUEIDENTIFIER -> uuid, NUMBER -> numeric, DOUBLE -> double precision.",
    .bad = "CREATE TABLE events (id bigint PRIMARY KEY, created_at DATETIME, flags TINYINT);",
    .good = "CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz, flags smallint);",
    .check = unknown_type::check,
};

}  // namespace pgstage::rules
