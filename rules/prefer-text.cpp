#include "rules/rule_support.h"

namespace pgstage::rules {
namespace prefer_text {

void check(const StatementContext& ctx, Reporter& r) {
  each_written_column(ctx, [&](const WrittenColumn& w) {
    const TypeName& t = *w.type;
    if (!t.schema.empty() || t.name != "varchar" || t.typmods.empty()) return;
    int n = t.typmods.front();
    r.report("column " + tick(w.table, w.column) + " is " + t.str() +
                 ": the length limit costs the same as text, and raising it later is easy but lowering it rewrites "
                 "the table; a CHECK constraint can be changed without a rewrite",
             "Use text, with a CHECK if the limit is a business rule:\n  " + quote_ident(w.column) + " text CHECK (" +
                 "char_length(" + quote_ident(w.column) + ") <= " + std::to_string(n) + ")",
             w.location);
  });
}

}  // namespace prefer_text

extern const Rule rule_prefer_text = {
    .id = "prefer-text",
    .category = Category::Style,
    .severity = Severity::Hint,
    .enabled_by_default = false,
    .summary = "varchar(n) columns (off by default)",
    .why =
        "In Postgres `varchar(n)` is text plus a length check: no faster, no smaller. The limit tends to be "
        "arbitrary and is painful to shrink (a rewrite). Off by default because varchar(n) is a legitimate "
        "choice when the limit is real; enable it with `--enable prefer-text`.",
    .lock = "None (style).",
    .instead = "`name text` or `name text CHECK (char_length(name) <= 200)`.",
    .bad = "CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100));",
    .good = "CREATE TABLE users (id bigint PRIMARY KEY, name text CHECK (char_length(name) <= 100));",
    .check = prefer_text::check,
};

}  // namespace pgstage::rules
