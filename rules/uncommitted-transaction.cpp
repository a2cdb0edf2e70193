#include "rules/helpers.h"

namespace pgstage::rules {
namespace uncommitted_transaction {

void check_end(const FileEndContext& ctx, Reporter& r) {
  if (ctx.tx.explicit_depth == 0) return;
  r.report(
      "BEGIN with no matching COMMIT or ROLLBACK: the file ends inside an open transaction, so its changes "
      "are rolled back when the session closes, or stay uncommitted (holding their locks) while the runner "
      "keeps the connection",
      "Add `COMMIT;` at the end of the transaction.", ctx.tx.open_begin_offset);
}

}  // namespace uncommitted_transaction

extern const Rule rule_uncommitted_transaction = {
    .id = "uncommitted-transaction",
    .category = Category::Transaction,
    .severity = Severity::Error,
    .summary = "BEGIN with no matching COMMIT or ROLLBACK",
    .why =
        "A transaction that is never committed is rolled back when the connection closes: the migration "
        "appears to run but changes nothing (or the runner records it as applied). If the connection stays open, "
        "its locks stay held and block the tables it touched.",
    .lock = "Every lock taken in the open transaction stays held until the connection ends.",
    .instead = "End every `BEGIN;` with `COMMIT;` in the same file.",
    .bad = "BEGIN;\nCREATE TABLE a (id bigint);",
    .good = "BEGIN;\nCREATE TABLE a (id bigint);\nCOMMIT;",
    .check_file_end = uncommitted_transaction::check_end,
};

}  // namespace pgstage::rules
