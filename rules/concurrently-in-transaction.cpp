#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace concurrently_in_transaction {

std::string fix(const StatementContext& ctx) {
  if (ctx.tx.explicit_block)
    return "Move the statement out of the BEGIN ... COMMIT block (put it after COMMIT, or in its own migration).";
  switch (ctx.file.layout) {
    case Layout::Goose:
      return "Put it in its own migration file that starts with `-- +goose NO TRANSACTION`.";
    case Layout::Dbmate:
      return "Put it in its own migration file whose up marker reads `-- migrate:up transaction:false`.";
    case Layout::Diesel:
      return "Put it in its own migration with a `metadata.toml` containing `run_in_transaction = false`.";
    default:
      return "Put it in its own migration that the runner does not wrap in a transaction (mark the file "
             "`-- pgstage:no-transaction` so pgstage knows).";
  }
}

std::string concurrent_form(const Change& c) {
  if (auto* ci = c.as<CreateIndex>(); ci && ci->concurrently)
    return std::string(ci->unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX") + " CONCURRENTLY on " + tick(ci->table);
  if (auto* di = c.as<DropIndex>(); di && di->concurrently)
    return "DROP INDEX CONCURRENTLY" + (di->names.empty() ? std::string() : " " + tick(di->names.front()));
  if (auto* ri = c.as<Reindex>(); ri && ri->concurrently)
    return "REINDEX " + ri->kind + " CONCURRENTLY " + tick(ri->name);
  if (auto* dp = c.as<DetachPartition>(); dp && dp->concurrently)
    return "DETACH PARTITION " + tick(dp->partition) + " CONCURRENTLY";
  return {};
}

// Statements of the file other than SET/RESET that can run in a transaction block.
int transactional_statements(const StatementContext& ctx) {
  int n = 0;
  for (auto& ls : ctx.file_view.lowered()) {
    bool tx = false;
    for (auto& c : ls.changes)
      if (!c.is<SetVariable>() && ctx.lock_of(c).transactional) tx = true;
    n += tx;
  }
  return n;
}

void check(const StatementContext& ctx, Reporter& r) {
  for (const Change& c : ctx.lowered.changes) {
    std::string what = concurrent_form(c);
    if (what.empty()) continue;
    bool runner_only = ctx.tx.in_transaction && !ctx.tx.explicit_block;
    if (runner_only && ctx.file.layout == Layout::Flyway) {
      // Flyway detects non-transactional statements and runs such a migration without a transaction,
      // but only when nothing else in it needs one.
      if (transactional_statements(ctx) == 0) continue;
      r.report(what +
                   " sits in a Flyway migration with statements that need a transaction: Flyway refuses to "
                   "run it (`Detected both transactional and non-transactional statements`), or with "
                   "`mixed=true` runs the whole file without a transaction",
               "Put the CONCURRENTLY statement in a migration of its own." + plan_line(), where(c));
      continue;
    }
    if (ctx.tx.implicit_block) {
      // golang-migrate and Prisma send the whole file as one query; Postgres runs a multi-statement
      // query as one implicit transaction block, which CONCURRENTLY refuses.
      std::string runner(layout_name(ctx.file.layout));
      r.report(what + " shares a " + runner + " file with other statements: " + runner +
                   " sends the file as one multi-statement query, which Postgres runs as a single implicit "
                   "transaction, so it fails (`cannot run inside a transaction block`)",
               "Put the CONCURRENTLY statement alone in a migration file of its own." + plan_line(), where(c));
      continue;
    }
    if (!ctx.tx.in_transaction) continue;
    r.report(what + " runs " + tx_origin(ctx) +
                 ": Postgres rejects it (`cannot run inside a transaction block`) and the migration fails",
             fix(ctx) + plan_line(), where(c));
  }
}

}  // namespace concurrently_in_transaction

extern const Rule rule_concurrently_in_transaction = {
    .id = "concurrently-in-transaction",
    .category = Category::Transaction,
    .severity = Severity::Error,
    .summary = "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY or DETACH ... CONCURRENTLY inside a transaction",
    .why =
        "The CONCURRENTLY forms commit internally between their phases, so Postgres refuses to run them inside "
        "a transaction block. Inside an explicit BEGIN, or in a file the migration runner wraps in a "
        "transaction (goose, dbmate, Flyway, Diesel by default), or next to other statements in a file the "
        "runner sends as one query (golang-migrate, Prisma: one implicit transaction), the migration fails at "
        "deploy time.",
    .lock = "None taken: the statement fails before it starts.",
    .instead =
        "Run the statement in its own migration that is not wrapped in a transaction (goose "
        "`-- +goose NO TRANSACTION`, dbmate `-- migrate:up transaction:false`), outside BEGIN/COMMIT.",
    .bad =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
        "BEGIN;\nCREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);\nCOMMIT;",
    .good =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
        "CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);",
    .check = concurrently_in_transaction::check,
};

}  // namespace pgstage::rules
