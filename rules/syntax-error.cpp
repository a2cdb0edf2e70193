#include "rules/helpers.h"

namespace pgstage::rules {
namespace syntax_error {

void check(const StatementContext& ctx, Reporter& r) {
  if (!ctx.statement.error) return;
  // The bundled grammar is Postgres 15's: newer syntax (a subquery in FROM without an alias, `ADD
  // CONSTRAINT n NOT NULL c`, ...) is not an error on a newer server, only something pgstage cannot check.
  if (ctx.settings.pg_version >= 16) {
    r.report(Reporter::Report{
        "could not analyse this statement: pgstage's grammar is Postgres 15's and stops here (" +
            ctx.statement.error->message + "), but pg_version is " + std::to_string(ctx.settings.pg_version) +
            ", whose grammar may accept it; its locks and compatibility were not checked",
        "Review this statement by hand, or run the migration against a Postgres " +
            std::to_string(ctx.settings.pg_version) +
            " server with `pgstage trace --database-url URL` to see what it locks. If it is a mistake, fix it.",
        int(ctx.statement.error->offset), Severity::Warning, std::nullopt});
    return;
  }
  r.report(Reporter::Report{"syntax error: " + ctx.statement.error->message,
                            "Fix the statement so Postgres can parse it; the rest of the file was still linted.",
                            int(ctx.statement.error->offset), std::nullopt, std::nullopt});
}

}  // namespace syntax_error

extern const Rule rule_syntax_error = {
    .id = "syntax-error",
    .category = Category::Meta,
    .severity = Severity::Error,
    .summary = "A statement that the Postgres 15 parser rejects",
    .why =
        "A statement Postgres cannot parse fails the migration at deploy time. pgstage reports the parser's "
        "message at the position where parsing stopped, and still lints every other statement of the file.",
    .lock = "None: the statement never runs.",
    .instead =
        "Fix the statement. If it uses syntax newer than Postgres 15 and your server is newer, set `pg_version` "
        "(16, 17, ...): the statement is then a warning that it could not be analysed, and a table it creates "
        "is still known as new to the statements after it.",
    .bad = "ALTER TABLE users ADD COLUMN;",
    .good = "ALTER TABLE users ADD COLUMN nickname text;",
    .check = syntax_error::check,
};

}  // namespace pgstage::rules
