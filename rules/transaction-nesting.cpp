#include "rules/helpers.h"

namespace pgstage::rules {
namespace transaction_nesting {

void check(const StatementContext& ctx, Reporter& r) {
  each<TransactionControl>(ctx, [&](const Change& c, const TransactionControl& t) {
    const TxState& tx = ctx.tx;
    if (t.kind == TxKind::Begin) {
      if (tx.explicit_depth > 0) {
        r.report(
            "BEGIN inside a transaction that is already open (BEGIN earlier in the file, no COMMIT yet): "
            "Postgres only warns and continues, so the first COMMIT commits everything and later "
            "statements run outside any transaction",
            "Remove the inner BEGIN (use SAVEPOINT for a nested unit of work):\n  SAVEPOINT step;", where(c));
      } else if (tx.runner_wraps) {
        r.report(
            "explicit BEGIN in a file that the migration runner already wraps in a transaction: the BEGIN is "
            "ignored with a warning, and the matching COMMIT ends the runner's transaction early, so the "
            "rest of the file runs outside it",
            "Remove BEGIN/COMMIT and let the runner's transaction cover the file, or mark the file as "
            "non-transactional (`-- pgstage:no-transaction`, goose `-- +goose NO TRANSACTION`) if it manages "
            "its own transactions.",
            where(c));
      }
      return;
    }
    bool ends = t.kind == TxKind::Commit || t.kind == TxKind::Rollback || t.kind == TxKind::Prepare;
    if (ends && tx.runner_wraps && tx.explicit_depth == 0) {
      r.report(std::string(t.kind == TxKind::Rollback ? "ROLLBACK" : "COMMIT") +
                   " in a file that the migration runner wraps in a transaction ends the runner's transaction: "
                   "the statements after it run without one, and the runner's own COMMIT fails or warns",
               "Remove it and let the runner commit, or mark the file as non-transactional "
               "(`-- pgstage:no-transaction`).",
               where(c));
    } else if (ends && tx.implicit_block && tx.explicit_depth == 0 && !c.from_do_block) {
      r.report(std::string(t.kind == TxKind::Rollback ? "ROLLBACK" : "COMMIT") + " with no BEGIN in a file " +
                   std::string(layout_name(ctx.file.layout)) +
                   " sends as one query: Postgres warns \"there is no transaction in progress\" and " +
                   (t.kind == TxKind::Rollback ? "rolls back" : "commits") +
                   " the implicit transaction of the statements before it; the rest of the file runs in a new one",
               "Remove it, or put BEGIN before the statements it is meant to end.", where(c));
    } else if (ends && !tx.runner_wraps && tx.explicit_depth == 0 && !c.from_do_block) {
      std::string word = t.kind == TxKind::Rollback  ? "ROLLBACK"
                         : t.kind == TxKind::Prepare ? "PREPARE TRANSACTION"
                                                     : "COMMIT";
      r.report(word +
                   " with no transaction open (no BEGIN before it): Postgres only warns \"there is no "
                   "transaction in progress\"; the statements before it already ran one by one, each committed on "
                   "its own" +
                   (t.kind == TxKind::Rollback ? ", and nothing is rolled back" : ""),
               "If those statements were meant to succeed or fail together, put BEGIN before them; otherwise remove "
               "the " +
                   word + ".",
               where(c));
    }
  });
}

}  // namespace transaction_nesting

extern const Rule rule_transaction_nesting = {
    .id = "transaction-nesting",
    .category = Category::Transaction,
    .severity = Severity::Warning,
    .summary =
        "BEGIN inside a transaction, explicit BEGIN/COMMIT when the runner wraps the file, or a COMMIT with "
        "no transaction open",
    .why =
        "Postgres has no nested transactions: a second BEGIN only warns, and the first COMMIT ends the outer "
        "transaction. When the runner (Flyway, goose, dbmate, diesel, or `transaction = \"per-file\"`) already "
        "wraps the file, an explicit COMMIT splits it: the statements after it are no longer atomic with the "
        "rest, and a failure leaves the migration half applied.",
    .lock = "None by itself; it changes how long the other statements' locks are held and what rolls back.",
    .instead =
        "Write either the runner's transaction or your own, not both. Use `SAVEPOINT` for nested units; "
        "mark files that manage their own transactions with `-- pgstage:no-transaction`.",
    .bad = "BEGIN;\nCREATE TABLE a (id bigint);\nBEGIN;\nCREATE TABLE b (id bigint);\nCOMMIT;",
    .good = "BEGIN;\nCREATE TABLE a (id bigint);\nSAVEPOINT s;\nCREATE TABLE b (id bigint);\nCOMMIT;",
    .check = transaction_nesting::check,
};

}  // namespace pgstage::rules
