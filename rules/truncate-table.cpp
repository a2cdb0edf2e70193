#include "rules/rule_support.h"

namespace pgstage::rules {
namespace truncate_table {

void check(const StatementContext& ctx, Reporter& r) {
  each<Truncate>(ctx, [&](const Change& c, const Truncate& t) {
    std::vector<QualifiedName> old;
    for (auto& n : t.tables)
      if (existing_for(ctx, c, n)) old.push_back(n);
    if (old.empty()) return;
    std::string msg = "TRUNCATE deletes every row of " + tick_list(old) +
                      " and holds an ACCESS EXCLUSIVE lock (blocks reads and writes) while it does";
    if (t.cascade)
      msg += "; CASCADE also empties every table with a foreign key pointing at " +
             std::string(old.size() == 1 ? "it" : "them") + ", recursively";
    r.report(msg,
             "If the data must go, delete it in batches so the table stays usable and the deletion can be stopped:\n"
             "  DELETE FROM " +
                 quote_name(old.front()) + " WHERE id IN (SELECT id FROM " + quote_name(old.front()) +
                 " LIMIT 10000);\n"
                 "Otherwise remove the TRUNCATE from the migration.",
             where(c));
  });
}

}  // namespace truncate_table

extern const Rule rule_truncate_table = {
    .id = "truncate-table",
    .category = Category::Data,
    .severity = Severity::Error,
    .summary = "TRUNCATE of an existing table",
    .why =
        "TRUNCATE removes all rows instantly and irreversibly once committed, and takes ACCESS EXCLUSIVE. With "
        "CASCADE it also empties every table that references it through a foreign key. In a migration that is "
        "almost always data loss in production.",
    .lock = "ACCESS EXCLUSIVE on each truncated table (blocks reads and writes).",
    .instead =
        "Delete in batches (`DELETE ... WHERE id IN (SELECT id ... LIMIT 10000)`), or truncate only tables "
        "created in the same migration.",
    .bad = "CREATE TABLE sessions (id bigint PRIMARY KEY);\n-- pgstage:history-end\nTRUNCATE sessions;",
    .good = "CREATE TABLE import_staging (id bigint);\nTRUNCATE import_staging;",
    .check = truncate_table::check,
};

}  // namespace pgstage::rules
