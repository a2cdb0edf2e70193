#include "rules/rule_support.h"

namespace pgstage::rules {
namespace prefer_timestamptz {

void check(const StatementContext& ctx, Reporter& r) {
  each_written_column(ctx, [&](const WrittenColumn& w) {
    if (!w.type->schema.empty() || w.type->name != "timestamp") return;
    r.report("column " + tick(w.table, w.column) +
                 " is timestamp without time zone: it stores wall-clock time with "
                 "no zone, so values written from servers or sessions in different time zones cannot be compared",
             "Use timestamptz (it stores an absolute instant and converts on display):\n  " + quote_ident(w.column) +
                 " timestamptz",
             w.location);
  });
}

}  // namespace prefer_timestamptz

extern const Rule rule_prefer_timestamptz = {
    .id = "prefer-timestamptz",
    .category = Category::Style,
    .severity = Severity::Hint,
    .summary = "timestamp without time zone",
    .why =
        "`timestamp` drops the time zone: the same instant written from sessions with different TimeZone "
        "settings gets different values, and DST transitions make some values ambiguous. `timestamptz` stores "
        "UTC and costs the same 8 bytes.",
    .lock = "None (style).",
    .instead = "`created_at timestamptz NOT NULL DEFAULT now()`.",
    .bad = "CREATE TABLE events (id bigint PRIMARY KEY, at timestamp);",
    .good = "CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz);",
    .check = prefer_timestamptz::check,
};

}  // namespace pgstage::rules
