#include "rules/rule_support.h"

namespace pgstage::rules {
namespace lock_table {

void check(const StatementContext& ctx, Reporter& r) {
  each<LockTable>(ctx, [&](const Change& c, const LockTable& l) {
    if (!any_existing(ctx, c, l.tables)) return;
    LockMode m = l.mode.empty() ? LockMode::AccessExclusive : lock_mode_from_name(l.mode);
    std::string msg = "LOCK TABLE " + tick_list(l.tables) + " takes an explicit " + lock_phrase(m) +
                      " held until the end of the transaction; while it waits for the lock, every later query on the "
                      "table queues behind it";
    // A DO block runs as one transaction: LOCK TABLE inside it does not fail.
    if (!ctx.tx.in_transaction && !c.from_do_block)
      msg +=
          " (and outside a transaction block it fails: \"LOCK TABLE can only be used in "
          "transaction blocks\")";
    r.report(msg,
             "Drop the explicit lock and let each statement take the lock it needs. If you really need it, bound "
             "the wait and keep the transaction short:\n  SET lock_timeout = '2s';\n  LOCK TABLE " +
                 quote_list(l.tables) + " IN " + (l.mode.empty() ? std::string("ACCESS EXCLUSIVE") : l.mode) + " MODE;",
             where(c));
  });
}

}  // namespace lock_table

extern const Rule rule_lock_table = {
    .id = "lock-table",
    .category = Category::Locking,
    .severity = Severity::Warning,
    .summary = "Explicit LOCK TABLE in a migration",
    .why =
        "An explicit LOCK TABLE (ACCESS EXCLUSIVE when no mode is given) is held until COMMIT, usually longer "
        "than any statement needs, and while it waits in the lock queue it blocks every later query on the "
        "table.",
    .lock = "The mode named (default ACCESS EXCLUSIVE: blocks reads and writes) until the transaction ends.",
    .instead =
        "Remove the LOCK TABLE; if a lock is truly required, take the weakest mode that works, with "
        "`SET lock_timeout = '2s';` before it, in a short transaction.",
    .bad =
        "CREATE TABLE accounts (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "BEGIN;\nLOCK TABLE accounts;\nCOMMIT;",
    .good =
        "CREATE TABLE accounts (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "BEGIN;\nCREATE TABLE audit (id bigint);\nLOCK TABLE audit;\nCOMMIT;",
    .check = lock_table::check,
};

}  // namespace pgstage::rules
