// Internal to the planner: the state a recipe works with while one statement is planned.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/catalog.h"
#include "analyzer/lint.h"
#include "planner/fill.h"
#include "planner/planner.h"

namespace pgstage::planner::detail {

struct StatementInput {
  int index = 0;  // statement number in the file
  const Statement* statement = nullptr;
  const LoweredStatement* lowered = nullptr;
  LockFacts lock;                   // lock facts of the whole statement
  bool in_transaction = false;      // the source ran it inside a transaction block
  std::vector<FillComment> fills;    // `-- pgstage:fill [column =] <expression>` annotations
  std::vector<std::string> filled;   // the columns they can be for (filled_columns)
  std::vector<std::string> rules;    // the rules lint reported on this statement (ignores applied)
};

// A column the plan replaces in one contract transaction: a staged rename (until contract the new
// name is a copy kept equal by a trigger; contract drops the copy and renames the old column onto
// it, so the column keeps its constraints, indexes, default, comment, grants and the views over it)
// or a staged type change (contract drops the old column and renames the converted one onto its
// name). Either way, until that step the name `to` is not the column the migration means: a later
// statement that attaches something to it runs after the step, and a view the migration creates
// over it is dropped before the step and created again after it (`before`, `after`).
struct PendingRename {
  QualifiedName table;
  std::string from, to;      // for a type change both are the column's name
  bool retype = false;
  std::string converted;     // a type change: the column holding the converted values until the swap
  size_t contract_step = 0;  // index in Ctx::contract of the swap step
  std::string kind, description, core_sql;  // the step without the views
  std::vector<std::string> before, after;
  std::vector<std::string> views;  // names of the views dropped and created again (a view over one joins them)
  // Constraints (table, name) the swap drops and re-adds on the new column (carry_constraints): a later
  // statement that drops one runs after it.
  std::vector<std::pair<QualifiedName, std::string>> carried_constraints;
};

struct Ctx {
  const SourceFile& file;
  Catalog& catalog;  // the schema before the statement being planned
  const PlanOptions& opts;
  std::vector<Step> expand, backfill, contract;
  std::string error;  // first error; planning stops
  std::vector<Finding> unplannable;
  // Facts deferred to contract: later statements must not depend on them.
  std::vector<std::pair<QualifiedName, std::string>> deferred_columns;  // dropped or renamed away in contract
  std::vector<QualifiedName> deferred_tables;
  std::vector<QualifiedName> backfilled_tables;
  // What the plan keeps until contract, so that a later statement that removes or renames it runs in
  // contract too, after the steps that still need it (the statement as written would have run later
  // than the change it depends on, so running it later still keeps the migration's order).
  std::vector<std::pair<QualifiedName, std::string>> replaced_columns;  // type changed: same name after contract
  std::vector<std::string> kept_functions;  // user functions a staged trigger or backfill, or a kept column, calls
  std::vector<QualifiedName> kept_types;    // types a kept column or a staged conversion uses (by name)
  std::vector<PendingRename> pending_renames;
  // UPDATEs of the migration that run as written in expand (no finding asked to stage them), as
  // backfills: a later SET NOT NULL catches up with them in contract.
  std::vector<BackfillSpec> updates_as_written;

  std::string where(int offset) const;  // "path:line:column"
  LockContext lock_ctx() const { return opts.settings.lock_context(&catalog); }
  void fail(int offset, const std::string& msg);
  // The primary key of `t`, or fails with a message naming the statement and returns empty.
  std::vector<std::string> key_of(const QualifiedName& t, int offset, const std::string& why);
  std::vector<std::string> primary_key(const QualifiedName& t) const;  // empty: none known (fails nothing)
  const CatalogColumn* column_of(const QualifiedName& t, const std::string& c, int offset, const std::string& why);
};

// A step with its lock facts computed from the SQL's Changes (parsed through the analyzer).
Step make_step(Ctx& cx, Phase phase, std::string kind, std::string description, std::string sql,
               const std::vector<QualifiedName>& tables, const std::string& rule, int source_statement);
Step make_backfill(Ctx& cx, Phase phase, std::string description, BackfillSpec spec, const std::string& rule,
                   int source_statement);

// Shared building blocks of the recipes (sync.cpp).
// Idempotent ADD COLUMN of a nullable column without default.
std::string add_nullable_column_sql(const QualifiedName& t, const std::string& column, const TypeName& type);
// Contract steps that make `column` NOT NULL through a validated CHECK (no long ACCESS EXCLUSIVE scan).
void not_null_via_check(Ctx& cx, const QualifiedName& t, const std::string& column, const std::string& rule, int stmt);
// Trigger + function names for a sync trigger on `t` for `column`.
QualifiedName trigger_function_name(const QualifiedName& t, const std::string& column, const std::string& what);
std::string trigger_name(const std::string& column, const std::string& what);
std::string create_trigger_sql(const QualifiedName& t, const std::string& trigger, const QualifiedName& function,
                               const std::string& function_body);
std::string drop_trigger_sql(const QualifiedName& t, const std::string& trigger, const QualifiedName& function);
// An expression over the row evaluated inside a row trigger: (SELECT <expr> FROM (SELECT NEW.*) AS row).
std::string row_expr(const std::string& expr);
// Copies every index on `t` that covers `from` to the same columns with `from` replaced by `to`
// (CONCURRENTLY in expand); contract renames them to the original names once `from` is gone.
// With `skip_expressions`, indexes over an expression of `from` are not copied (instead of failing).
// Copies that cannot be built over the still empty new column go to `after_backfill` (phase
// backfill: the caller runs them after its backfill): a UNIQUE ... NULLS NOT DISTINCT index, and with
// `carry_keys` the index of a PRIMARY KEY or UNIQUE constraint, which is not renamed either:
// carry_constraints makes it the constraint's index.
void copy_indexes(Ctx& cx, const QualifiedName& t, const std::string& from, const std::string& to,
                  const std::string& rule, int stmt, int offset, std::vector<Step>& renames,
                  std::vector<Step>& after_backfill, bool skip_expressions, bool carry_keys);
// The name copy_indexes gives the copy of index `index`.
std::string copied_index_name(const std::string& index);
// What Postgres names an index after for one of its keys: the column, a function's name for an
// expression calling one, else "expr".
std::string index_key_name(const std::string& key);
// `[USING method] (keys) [INCLUDE (...)] [WITH ...] [TABLESPACE ...] [WHERE ...]` of index `ix`; a key
// that is not a column of `tab` (an expression) is parenthesised; with `tab` null every key is a column.
std::string index_body_sql(const CatalogIndex& ix, const CatalogTable* tab);
// Steps that build index `ix` (named ix.name) on partitioned table `t` without blocking writes, as
// Postgres refuses CONCURRENTLY there: the index on the parent alone (ON ONLY: catalog-only, left
// invalid), then for each partition (recursively) its index built CONCURRENTLY and attached; the
// parent's index turns valid with the last. Fails (cx.fail at `offset`) when no partition is known.
std::vector<Step> partitioned_index_steps(Ctx& cx, const QualifiedName& t, const CatalogIndex& ix,
                                          const CatalogTable* tab, const std::string& rule, int stmt, int offset);
// The name of the copy of index `index` (over `columns`, its keys and INCLUDE) that the recipe
// replacing `column` of `t` builds: copied_index_name, numbered when other columns of the index are
// retyped by earlier type changes of this migration (each builds its own copy; the last one's is
// the index after contract).
std::string copy_name_for(const Ctx& cx, const QualifiedName& t, const std::string& index,
                          const std::vector<std::string>& columns, const std::string& column);
// Whether `sql` names the identifier `name` (quoted as written or unquoted and folded), outside
// string literals and comments.
bool mentions_identifier(std::string_view sql, const std::string& name);
// Appends the contract swap step of `pr` (recorded in Ctx::pending_renames), or rewrites it from its
// current `before`/`after` lists.
void add_swap_step(Ctx& cx, PendingRename pr, const std::string& rule, int stmt);
void render_rename_swap(Ctx& cx, const PendingRename& pr);
// PL/pgSQL lines that give column `to` of `t` the comment and column privileges of `from` (run in
// the transaction that drops `from`, before it).
std::string carry_comment_and_grants(const QualifiedName& t, const std::string& from, const std::string& to);
// The constraints over `column` of `t` that dropping it in contract drops, and the foreign keys to
// it that would stop the drop, carried over to the column that takes its place under the name `to`
// (in the transaction that drops the old column):
// - CHECKs and this table's foreign keys using the column: re-added NOT VALID after the rename;
// - a PRIMARY KEY / UNIQUE over it: re-added `USING INDEX` the copy copy_indexes built (with
//   `key_index_builds`), which takes the constraint's name;
// - foreign keys of any table to it: dropped before the old column, re-added NOT VALID after.
// `validates` has a VALIDATE step for each re-added one that was validated (to push after the swap).
struct CarriedConstraints {
  std::vector<std::string> before;  // statements before the old column is dropped
  std::vector<std::string> after;   // statements after the new column took its name
  std::vector<Step> validates;
  std::vector<QualifiedName> tables;  // other tables the statements change
  std::vector<std::pair<QualifiedName, std::string>> constraints;  // (table, name) of each one re-added
};
CarriedConstraints carry_constraints(Ctx& cx, const QualifiedName& t, const std::string& column,
                                     const std::string& to, const std::string& rule, int stmt);
// Fails when `column` is part of a constraint the recipe cannot carry over (an EXCLUDE, a CHECK
// (column IS NOT NULL), a key whose index the catalog does not know).
bool refuse_constraints(Ctx& cx, const QualifiedName& t, const std::string& column, const std::string& rule,
                        int offset);

// Building blocks that several rules' recipes (planner/recipes/) share. Each takes the rule whose
// finding it is asked to stage and returns false when the Change is not that rule's (it classifies
// the Change as lint does: one ADD COLUMN is a required column, a volatile default or a column with
// inline constraints), true when it staged the Change or refused it with cx.error set.
// ADD COLUMN: required (fill trigger + backfill + NOT NULL via CHECK), volatile default (SET DEFAULT
// + backfill), inline FOREIGN KEY / CHECK split off NOT VALID; inline PRIMARY KEY / UNIQUE refused.
bool stage_add_column(Ctx& cx, const StatementInput& in, const Change& c, std::string_view rule);
// ADD CONSTRAINT FOREIGN KEY / CHECK: added NOT VALID in expand, validated in contract.
bool stage_not_valid_constraint(Ctx& cx, const StatementInput& in, const Change& c, std::string_view rule);
// UPDATE: the migration's UPDATE (the statement's one Change) as a batched backfill by primary key,
// its steps attributed to `rule` (backfill-in-migration, unbounded-dml); refuses an UPDATE it cannot
// batch, saying why.
bool stage_update_backfill(Ctx& cx, const StatementInput& in, const Change& c, const std::string& rule);
// The statement, one UPDATE `d`, as a BackfillSpec; nullopt with `problem` "form" (not `UPDATE t SET
// ... [FROM ...] [WHERE ...]`) or "key" (no primary key known). Fails nothing.
std::optional<BackfillSpec> update_backfill_spec(const Ctx& cx, const StatementInput& in, const Dml& d,
                                                 std::string& problem);
void add_update_backfill(Ctx& cx, const StatementInput& in, BackfillSpec spec, const std::string& rule);
// The statement as written in a step of its own: outside a transaction block (`transactional` false)
// or in its own short transaction apart from the DDL.
void own_step(Ctx& cx, const StatementInput& in, bool transactional, const std::string& rule);

// Small helpers of the recipes (sync.cpp).
int at(const StatementInput& in, const Change& c);                     // the Change's offset (or the statement's)
std::string who(const QualifiedName& t, const std::string& column);   // "t.column" for messages
std::string text_of(const Ctx& cx, const StatementInput& in);         // the statement as written
// Fails unless the statement is this one Change (not in a DO block): the recipe rewrites its text.
bool single(Ctx& cx, const StatementInput& in, const Change& c, const std::string& rule);
std::string constraint_exists(const QualifiedName& t, const std::string& name);  // SELECT 1 FROM pg_constraint ...
std::string column_list(const std::vector<std::string>& cols);                  // "a", "b"
// A contract step that validates constraint `name` of `t` (when it exists and is not yet validated).
void validate_step(Ctx& cx, const QualifiedName& t, const std::string& name, const std::string& rule, int stmt,
                   const std::string& why);
// The statement with its CONCURRENTLY made re-runnable (IF [NOT] EXISTS) when the name allows.
std::string rerunnable(const std::string& sql, const LoweredStatement& lo);
void add_table(std::vector<QualifiedName>& v, const QualifiedName& t);  // once each

bool existing(const Ctx& cx, const QualifiedName& t);  // not created in this migration
// The fill value for `column` of the statement (fill_for); fails the plan when the comments are ambiguous.
std::optional<std::string> fill_of(Ctx& cx, const StatementInput& in, const std::string& column);
// Records that the plan keeps `functions` (Expr::unknown_functions) until contract.
void keep_functions(Ctx& cx, const std::vector<std::string>& functions);

}  // namespace pgstage::planner::detail
