#include "rules/rule_support.h"

namespace pgstage::rules {
namespace refresh_matview_blocking {

void check(const StatementContext& ctx, Reporter& r) {
  each<RefreshMatView>(ctx, [&](const Change& c, const RefreshMatView& m) {
    if (m.concurrently || !existing_for(ctx, c, m.name)) return;
    r.report("REFRESH MATERIALIZED VIEW " + tick(m.name) +
                 " without CONCURRENTLY rebuilds it while holding an "
                 "ACCESS EXCLUSIVE lock (blocks reads and writes): every query on the view waits for the rebuild",
             "Refresh it concurrently so readers keep the old contents until the new ones are ready (it needs a "
             "unique index on the view and a populated view):\n  CREATE UNIQUE INDEX CONCURRENTLY ... ON " +
                 quote_name(m.name) + " (...);\n  REFRESH MATERIALIZED VIEW CONCURRENTLY " + quote_name(m.name) + ";",
             where(c));
  });
}

}  // namespace refresh_matview_blocking

extern const Rule rule_refresh_matview_blocking = {
    .id = "refresh-matview-blocking",
    .category = Category::Locking,
    .severity = Severity::Warning,
    .summary = "REFRESH MATERIALIZED VIEW without CONCURRENTLY",
    .why =
        "A plain refresh recomputes the view's query and swaps the result in under ACCESS EXCLUSIVE, so every "
        "SELECT on the view waits for the whole query to run.",
    .lock = "ACCESS EXCLUSIVE on the materialized view (blocks reads); CONCURRENTLY takes EXCLUSIVE (reads continue).",
    .instead =
        "`REFRESH MATERIALIZED VIEW CONCURRENTLY v;` after creating a unique index on the view "
        "(`CREATE UNIQUE INDEX CONCURRENTLY v_key ON v (id);`). A view created in the same change set is exempt.",
    .bad =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n"
        "CREATE MATERIALIZED VIEW order_totals AS SELECT sum(total) AS total FROM orders;\n"
        "-- pgstage:history-end\nREFRESH MATERIALIZED VIEW order_totals;",
    .good =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n"
        "CREATE MATERIALIZED VIEW order_totals AS SELECT 1 AS id, sum(total) AS total FROM orders;\n"
        "CREATE UNIQUE INDEX order_totals_id ON order_totals (id);\n"
        "-- pgstage:history-end\nREFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;",
    .check = refresh_matview_blocking::check,
};

}  // namespace pgstage::rules
