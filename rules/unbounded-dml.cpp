#include "rules/rule_support.h"

namespace pgstage::rules {
namespace unbounded_dml {

void check(const StatementContext& ctx, Reporter& r) {
  each<Dml>(ctx, [&](const Change& c, const Dml& d) {
    if ((d.kind != DmlKind::Update && d.kind != DmlKind::Delete) || d.has_where || !existing_for(ctx, c, d.table))
      return;
    bool update = d.kind == DmlKind::Update;
    std::string t = quote_name(d.table);
    r.report(std::string(update ? "UPDATE" : "DELETE") + " without WHERE touches every row of " + tick(d.table) +
                 " in one transaction: it locks each row until COMMIT (blocking concurrent writes to them), bloats "
                 "the table and WAL, and its run time grows with the table",
             update ? "Backfill in batches of bounded size, each in its own transaction:\n  UPDATE " + t +
                          " SET ... WHERE id IN (SELECT id FROM " + t +
                          " WHERE <not yet done> LIMIT 10000);\n"
                          "repeated until no row changes." +
                          kPlanHint
                    : "Delete in batches, each in its own transaction:\n  DELETE FROM " + t +
                          " WHERE id IN (SELECT id FROM " + t + " LIMIT 10000);\nrepeated until no row is deleted.",
             where(c));
  });
}

}  // namespace unbounded_dml

extern const Rule rule_unbounded_dml = {
    .id = "unbounded-dml",
    .category = Category::Data,
    .severity = Severity::Warning,
    .summary = "UPDATE or DELETE without WHERE on an existing table",
    .why =
        "A statement over the whole table runs as one transaction: every row it touches stays locked until it "
        "commits, it writes a new version of every row (bloat, WAL, replication lag), and on a big table it "
        "runs for minutes. A DELETE without WHERE is also usually a mistake.",
    .lock = "ROW EXCLUSIVE on the table plus a row lock on every row touched, until COMMIT.",
    .instead =
        "Batch it: `UPDATE t SET ... WHERE id IN (SELECT id FROM t WHERE ... LIMIT 10000);` in a loop, each "
        "batch in its own transaction (`pgstage plan` generates a batched backfill step).",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY, active bool);\n-- pgstage:history-end\n"
        "UPDATE users SET active = true;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY, active bool);\n-- pgstage:history-end\n"
        "UPDATE users SET active = true WHERE id BETWEEN 1 AND 10000;",
    .check = unbounded_dml::check,
};

}  // namespace pgstage::rules
