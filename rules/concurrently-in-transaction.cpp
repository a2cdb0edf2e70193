#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace {

std::string fix(const StatementContext& ctx) {
  if (ctx.tx.explicit_block)
    return "Move the statement out of the BEGIN ... COMMIT block (put it after COMMIT, or in its own migration).";
  switch (ctx.file.layout) {
    case Layout::Goose:
      return "Put it in its own migration file that starts with `-- +goose NO TRANSACTION`.";
    case Layout::Dbmate:
      return "Put it in its own migration file whose up marker reads `-- migrate:up transaction:false`.";
    case Layout::Flyway:
      return "Put it in its own migration with a script config `executeInTransaction=false`.";
    case Layout::Diesel:
      return "Put it in its own migration with a `metadata.toml` containing `run_in_transaction = false`.";
    default:
      return "Put it in its own migration that the runner does not wrap in a transaction (mark the file "
             "`-- pgstage:no-transaction` so pgstage knows).";
  }
}

void check(const StatementContext& ctx, Reporter& r) {
  if (!ctx.tx.in_transaction) return;
  for (const Change& c : ctx.lowered.changes) {
    std::string what;
    if (auto* ci = c.as<CreateIndex>(); ci && ci->concurrently)
      what = std::string(ci->unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX") + " CONCURRENTLY on " + tick(ci->table);
    else if (auto* di = c.as<DropIndex>(); di && di->concurrently)
      what = "DROP INDEX CONCURRENTLY" + (di->names.empty() ? std::string() : " " + tick(di->names.front()));
    else if (auto* ri = c.as<Reindex>(); ri && ri->concurrently)
      what = "REINDEX " + ri->kind + " CONCURRENTLY " + tick(ri->name);
    else if (auto* dp = c.as<DetachPartition>(); dp && dp->concurrently)
      what = "DETACH PARTITION " + tick(dp->partition) + " CONCURRENTLY";
    if (what.empty()) continue;
    r.report(what + " runs " + tx_origin(ctx) +
                 ": Postgres rejects it (`cannot run inside a transaction block`) and the migration fails",
             fix(ctx) + plan_line(), where(c));
  }
}

}  // namespace

extern const Rule rule_concurrently_in_transaction = {
    .id = "concurrently-in-transaction",
    .category = Category::Transaction,
    .severity = Severity::Error,
    .summary = "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY or DETACH ... CONCURRENTLY inside a transaction",
    .why = "The CONCURRENTLY forms commit internally between their phases, so Postgres refuses to run them inside "
           "a transaction block. Inside an explicit BEGIN, or in a file the migration runner wraps in a "
           "transaction (goose, dbmate, Flyway, Diesel by default), the migration fails at deploy time.",
    .lock = "None taken: the statement fails before it starts.",
    .instead = "Run the statement in its own migration that is not wrapped in a transaction (goose "
               "`-- +goose NO TRANSACTION`, dbmate `-- migrate:up transaction:false`), outside BEGIN/COMMIT.",
    .bad = "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
           "BEGIN;\nCREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);\nCOMMIT;",
    .good = "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
            "CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);",
    .plan = "own non-transactional step",
    .check = check,
};

}  // namespace pgstage::rules
