#include "rules/rule_support.h"

namespace pgstage::rules {
namespace ban_char_type {

void check(const StatementContext& ctx, Reporter& r) {
  each_written_column(ctx, [&](const WrittenColumn& w) {
    if (!w.type->schema.empty() || w.type->name != "bpchar") return;
    r.report("column " + tick(w.table, w.column) + " is " + w.type->str() +
                 ": char(n) pads values with spaces, compares ignoring them, and is no faster or smaller than text",
             "Use text (with a CHECK on the length if it matters):\n  " + quote_ident(w.column) + " text", w.location);
  });
}

}  // namespace ban_char_type

extern const Rule rule_ban_char_type = {
    .id = "ban-char-type",
    .category = Category::Style,
    .severity = Severity::Hint,
    .summary = "char(n) columns",
    .why =
        "`char(n)` blank-pads every value to n characters and strips the padding inconsistently (comparisons, "
        "concatenation, casts). It saves no space in Postgres. The Postgres wiki lists it under \"Don't Do This\".",
    .lock = "None (style).",
    .instead = "`code text` or `code text CHECK (char_length(code) = 2)`.",
    .bad = "CREATE TABLE countries (code char(2) PRIMARY KEY);",
    .good = "CREATE TABLE countries (code text PRIMARY KEY CHECK (char_length(code) = 2));",
    .check = ban_char_type::check,
};

}  // namespace pgstage::rules
