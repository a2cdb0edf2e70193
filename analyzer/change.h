// Typed Changes: what one SQL statement does to the schema, lowered from libpg_query's tree.
// Rules, the catalog and the planner read these; only analyzer/lower.cpp reads libpg_query JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace pgstage {

// A possibly schema-qualified name. `schema` is empty when unqualified.
struct QualifiedName {
  std::string schema;
  std::string name;

  std::string str() const { return schema.empty() ? name : schema + "." + name; }
  bool empty() const { return name.empty(); }
  bool operator==(const QualifiedName&) const = default;
};

enum class Volatility { Immutable, Stable, Volatile };

// An expression from the statement: its SQL text (sliced from the source) and what we know of it.
struct Expr {
  std::string sql;                                // source text of the expression
  Volatility volatility = Volatility::Immutable;  // strongest over the functions it calls
  std::vector<std::string> unknown_functions;     // functions not in the built-in table (counted volatile)
  bool is_null_constant = false;                  // literally NULL
  std::string column_ref;                         // set when the expression is a bare column reference
  std::string cast_of_column;                     // set when it is `col::type` / CAST(col AS type)
};

// An optional value kept on the heap: std::optional's interface at the size of a pointer, for
// fields that are usually empty in objects there are very many of (catalog columns).
template <class T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(std::nullopt_t) {}
  Boxed(const T& v) : p_(std::make_unique<T>(v)) {}
  Boxed(T&& v) : p_(std::make_unique<T>(std::move(v))) {}
  Boxed(const std::optional<T>& o) : p_(o ? std::make_unique<T>(*o) : nullptr) {}
  Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed& operator=(const T& v) {
    p_ = std::make_unique<T>(v);
    return *this;
  }
  Boxed& operator=(const std::optional<T>& o) {
    p_ = o ? std::make_unique<T>(*o) : nullptr;
    return *this;
  }
  explicit operator bool() const { return p_ != nullptr; }
  bool has_value() const { return p_ != nullptr; }
  const T* operator->() const { return p_.get(); }
  T* operator->() { return p_.get(); }
  const T& operator*() const { return *p_; }
  T& operator*() { return *p_; }
  void reset() { p_.reset(); }

 private:
  std::unique_ptr<T> p_;
};

struct TypeName {
  std::string name;          // normalized: int4, int8, varchar, numeric, timestamptz, text, ...
  std::string schema;        // empty for built-ins and unqualified names
  std::vector<int> typmods;  // varchar(10) -> {10}; numeric(10,2) -> {10,2}
  int array_dims = 0;
  bool is_serial = false;  // serial / bigserial / smallserial (sugar for int + sequence)

  std::string str() const;  // SQL spelling, e.g. varchar(10), numeric(10,2)[] (for messages)
  std::string sql() const;  // for generated SQL: user-created types quoted ("Status2"[], "app"."mood")
};

enum class ConstraintKind { Check, ForeignKey, Unique, PrimaryKey, Exclusion, NotNull };

// How an index is built beyond its keys, kept so that a copy is the same index: NULLS NOT DISTINCT
// (Postgres 15), the storage parameters of WITH (...) as SQL ("fillfactor = '70'", "" when none) and
// the tablespace ("" = the database's default).
struct IndexStorage {
  bool nulls_not_distinct = false;
  std::string with;
  std::string tablespace;
  bool operator==(const IndexStorage&) const = default;
};

struct Constraint {
  ConstraintKind kind = ConstraintKind::Check;
  std::string name;                      // empty when unnamed
  std::vector<std::string> columns;      // local columns (FK, UNIQUE, PK)
  QualifiedName ref_table;               // FK
  std::vector<std::string> ref_columns;  // FK
  std::optional<Expr> check;             // CHECK expression
  bool not_valid = false;                // NOT VALID (skip_validation)
  std::string using_index;               // ADD CONSTRAINT ... USING INDEX name
  bool deferrable = false;
  std::string fk_options;  // FK: its MATCH / ON UPDATE / ON DELETE / DEFERRABLE clauses as SQL (" ON DELETE CASCADE")
  std::string deferral;    // PRIMARY KEY / UNIQUE: " DEFERRABLE" or " DEFERRABLE INITIALLY DEFERRED", else ""
  std::vector<std::string> include;  // PRIMARY KEY / UNIQUE: INCLUDE (columns) of its index
  IndexStorage storage;              // PRIMARY KEY / UNIQUE: NULLS NOT DISTINCT, WITH, USING INDEX TABLESPACE
  int location = -1;       // byte offset in the file
};

struct ColumnDef {
  std::string name;
  TypeName type;
  bool not_null = false;
  bool primary_key = false;
  bool unique = false;
  std::optional<Expr> default_expr;
  bool generated_stored = false;
  bool identity = false;
  std::vector<Constraint> constraints;  // inline CHECK / REFERENCES / UNIQUE / PRIMARY KEY
  int location = -1;
};

// ---- Changes ---------------------------------------------------------------------------------

struct CreateTable {
  QualifiedName table;
  std::vector<ColumnDef> columns;
  std::vector<Constraint> constraints;  // table-level constraints
  bool if_not_exists = false;
  bool as_select = false;      // CREATE TABLE AS / SELECT INTO
  bool with_data = false;      // CREATE TABLE AS that copies rows (not WITH NO DATA)
  std::vector<QualifiedName> copied_from;  // CREATE TABLE AS: the tables its query reads
  QualifiedName partition_of;  // CREATE TABLE ... PARTITION OF parent
  bool partitioned = false;    // CREATE TABLE ... PARTITION BY (a partitioned table)
  bool unlogged = false;
};
struct AddColumn {
  QualifiedName table;
  ColumnDef column;
  bool if_not_exists = false;
};
struct DropColumn {
  QualifiedName table;
  std::string column;
  bool if_exists = false;
  bool cascade = false;
};
struct RenameColumn {
  QualifiedName table;
  std::string column;
  std::string new_name;
};
struct RenameTable {
  QualifiedName table;
  std::string new_name;
  bool is_view = false;
};
struct AlterColumnType {
  QualifiedName table;
  std::string column;
  TypeName new_type;
  std::optional<Expr> using_expr;
  std::string collation;
};
struct SetNotNull {
  QualifiedName table;
  std::string column;
};
struct DropNotNull {
  QualifiedName table;
  std::string column;
};
struct SetDefault {
  QualifiedName table;
  std::string column;
  Expr expr;
};
struct DropDefault {
  QualifiedName table;
  std::string column;
};
struct AddConstraint {
  QualifiedName table;
  Constraint constraint;
};
struct ValidateConstraint {
  QualifiedName table;
  std::string name;
};
struct DropConstraint {
  QualifiedName table;
  std::string name;
  bool if_exists = false;
  bool cascade = false;
};
struct CreateIndex {
  std::string name;  // empty when Postgres picks one
  QualifiedName table;
  std::vector<std::string> columns;  // plain column keys; expressions appear as their SQL
  bool unique = false;
  bool concurrently = false;
  bool if_not_exists = false;
  bool partial = false;
  bool only = false;   // ON ONLY: the partitioned parent alone, no partition is indexed
  std::string method;  // btree, gin, ...
  // The rest of the definition, so that a recipe can copy the index whole: per key (same order as
  // `columns`) its options as SQL (" COLLATE \"C\" text_pattern_ops DESC NULLS LAST", "" when
  // default), the INCLUDE columns and the predicate's SQL ("" when not partial).
  std::vector<std::string> key_options;
  std::vector<std::string> include;
  std::string where_sql;
  IndexStorage storage;
};
struct DropIndex {
  std::vector<QualifiedName> names;
  bool concurrently = false;
  bool if_exists = false;
  bool cascade = false;
};
struct Reindex {
  std::string kind;
  QualifiedName name;
  bool concurrently = false;
};  // kind: index|table|schema|database|system
struct DropTable {
  std::vector<QualifiedName> tables;
  bool if_exists = false;
  bool cascade = false;
};
// DROP of anything that is not a table or an index: view, function, type, sequence, schema, ...
struct DropObject {
  std::string kind;
  std::vector<QualifiedName> names;
  bool if_exists = false;
  bool cascade = false;
};
// RENAME of a schema, view, function, type, sequence, constraint, index or enum value.
struct RenameObject {
  std::string kind;
  QualifiedName name;
  std::string old_value;
  std::string new_name;
  QualifiedName table;
};
struct Truncate {
  std::vector<QualifiedName> tables;
  bool cascade = false;
};
struct DropDatabase {
  std::string name;
};
struct Vacuum {
  std::vector<QualifiedName> tables;
  bool full = false;
  bool analyze_only = false;
};
struct Cluster {
  QualifiedName table;
};
struct RefreshMatView {
  QualifiedName name;
  bool concurrently = false;
};
struct LockTable {
  std::vector<QualifiedName> tables;
  std::string mode;
};  // mode name, e.g. ACCESS EXCLUSIVE
enum class TriggerAction { Create, Drop, Enable, Disable };
struct TriggerChange {
  QualifiedName table;
  std::string name;
  TriggerAction action = TriggerAction::Create;
};
struct AttachPartition {
  QualifiedName parent;
  QualifiedName partition;
};
struct DetachPartition {
  QualifiedName parent;
  QualifiedName partition;
  bool concurrently = false;
  bool finalize = false;
};
// SET LOGGED/UNLOGGED, SET TABLESPACE, SET ACCESS METHOD, SET (...) and the other table-level
// subcommands that neither add nor remove schema objects. `subcommand` is the AT_* name.
struct AlterTableOther {
  QualifiedName table;
  std::string subcommand;
  std::string column;
  std::vector<std::string> options;
};
struct CreateEnum {
  QualifiedName name;
  std::vector<std::string> values;
};
// ALTER DOMAIN: adding a constraint (unless NOT VALID), SET NOT NULL and VALIDATE CONSTRAINT check
// every column of the domain's type, in every table that has one.
struct AlterDomain {
  enum class Action { AddConstraint, ValidateConstraint, DropConstraint, SetNotNull, DropNotNull, Default, Other };
  QualifiedName domain;
  Action action = Action::Other;
  std::string constraint;  // its name, when the statement names it
  bool not_valid = false;  // ADD CONSTRAINT ... NOT VALID
  bool check = false;      // the constraint added is a CHECK (else NOT NULL)
};
struct AlterEnumAddValue {
  QualifiedName type;
  std::string value;
  bool if_not_exists = false;
};
struct CreateView {
  QualifiedName name;
  bool materialized = false;
  bool or_replace = false;
};
// function, sequence, schema, extension, type, domain... `constrained`: a domain with CHECK / NOT NULL.
// `internal`: an object application code does not name (a trigger function, a sequence OWNED BY a column).
struct CreateOther {
  std::string kind;
  QualifiedName name;
  bool constrained = false;
  bool internal = false;
  // function/procedure with a SQL-standard body (BEGIN ATOMIC ... END, RETURN expr): Postgres
  // binds it to the columns it names when it is created, like a view (a string body is resolved
  // when it runs).
  bool sql_body = false;
};
enum class TxKind {
  Begin,
  Commit,
  Rollback,
  Savepoint,
  Release,
  RollbackTo,
  Prepare,
  CommitPrepared,
  RollbackPrepared
};
struct TransactionControl {
  TxKind kind = TxKind::Begin;
};
struct SetVariable {
  std::string name;
  std::string value;
  bool local = false;
  bool reset = false;
};
enum class DmlKind { Insert, Update, Delete, Merge, Copy };
struct Dml {
  DmlKind kind = DmlKind::Update;
  QualifiedName table;
  bool has_where = false;
  bool from_select = false;
  std::vector<QualifiedName> copied_from;  // INSERT ... SELECT: the tables its query reads
};
// A statement that touches nothing in the schema we model (SELECT, GRANT, COMMENT, ...).
struct OtherStatement {
  std::string node;
  QualifiedName table;
  std::string object;  // the object it creates, when it is named within `table` (CREATE POLICY's name)
};

using ChangeValue = std::variant<CreateTable, AddColumn, DropColumn, RenameColumn, RenameTable, AlterColumnType,
                                 SetNotNull, DropNotNull, SetDefault, DropDefault, AddConstraint, ValidateConstraint,
                                 DropConstraint, CreateIndex, DropIndex, Reindex, DropTable, DropObject, RenameObject,
                                 Truncate, DropDatabase, Vacuum, Cluster, RefreshMatView, LockTable, TriggerChange,
                                 AttachPartition, DetachPartition, AlterTableOther, CreateEnum, AlterEnumAddValue,
                                 CreateView, CreateOther, AlterDomain, TransactionControl, SetVariable, Dml,
                                 OtherStatement>;

struct Change {
  ChangeValue value;
  int location = -1;           // byte offset in the file of the subcommand or clause, -1 = the statement's
  bool from_do_block = false;  // lowered from DDL inside DO $$ ... $$ (or its EXECUTE strings)

  template <class T>
  const T* as() const {
    return std::get_if<T>(&value);
  }
  template <class T>
  bool is() const {
    return std::holds_alternative<T>(value);
  }
};

// The name of the Change kind, e.g. "AddColumn" (used in reports and tests).
std::string change_kind_name(const Change& c);
// The SQL words a user wrote for the change ("SET NOT NULL", "ADD CONSTRAINT"), for messages.
std::string change_sql_words(const Change& c);

}  // namespace pgstage
