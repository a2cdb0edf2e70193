#include "rules/helpers.h"

namespace pgstage::rules {
namespace {

void check(const StatementContext& ctx, Reporter& r) {
  if (!ctx.statement.error) return;
  r.report(Reporter::Report{"syntax error: " + ctx.statement.error->message,
                            "Fix the statement so Postgres can parse it; the rest of the file was still linted.",
                            int(ctx.statement.error->offset), std::nullopt, std::nullopt});
}

}  // namespace

extern const Rule rule_syntax_error = {
    .id = "syntax-error",
    .category = Category::Meta,
    .severity = Severity::Error,
    .summary = "A statement that the Postgres 15 parser rejects",
    .why =
        "A statement Postgres cannot parse fails the migration at deploy time. pgstage reports the parser's "
        "message at the position where parsing stopped, and still lints every other statement of the file.",
    .lock = "None: the statement never runs.",
    .instead = "Fix the statement. If it uses syntax newer than the configured `pg_version`, raise `pg_version`.",
    .bad = "ALTER TABLE users ADD COLUMN;",
    .good = "ALTER TABLE users ADD COLUMN nickname text;",
    .check = check,
};

}  // namespace pgstage::rules
