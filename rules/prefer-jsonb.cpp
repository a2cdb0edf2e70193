#include "rules/rule_support.h"

namespace pgstage::rules {
namespace prefer_jsonb {

void check(const StatementContext& ctx, Reporter& r) {
  each_written_column(ctx, [&](const WrittenColumn& w) {
    if (!w.type->schema.empty() || w.type->name != "json") return;
    r.report("column " + tick(w.table, w.column) +
                 " is json: it stores the raw text and re-parses it on every "
                 "access, has no equality operator (no DISTINCT, GROUP BY or unique index) and no GIN indexing",
             "Use jsonb:\n  " + quote_ident(w.column) + " jsonb", w.location);
  });
}

}  // namespace prefer_jsonb

extern const Rule rule_prefer_jsonb = {
    .id = "prefer-jsonb",
    .category = Category::Style,
    .severity = Severity::Hint,
    .summary = "json columns",
    .why =
        "`json` keeps the input text verbatim; every operator re-parses it. It has no equality operator, so "
        "DISTINCT, GROUP BY, UNION and unique indexes fail on it, and it cannot be GIN-indexed. Use it only when "
        "key order or duplicate keys must be preserved.",
    .lock = "None (style).",
    .instead = "`payload jsonb`.",
    .bad = "CREATE TABLE events (id bigint PRIMARY KEY, payload json);",
    .good = "CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);",
    .check = prefer_jsonb::check,
};

}  // namespace pgstage::rules
