#include "rules/helpers.h"

namespace pgstage::rules {
namespace dropping_database {

void check(const StatementContext& ctx, Reporter& r) {
  each<DropDatabase>(ctx, [&](const Change& c, const DropDatabase& d) {
    r.report("DROP DATABASE " + display_ident(d.name) +
                 " destroys the whole database and all of its data; it "
                 "cannot run in a transaction, so it cannot be rolled back",
             "Remove it from the migration. Drop databases by hand after a backup, never from an automated "
             "migration.",
             where(c));
  });
}

}  // namespace dropping_database

extern const Rule rule_dropping_database = {
    .id = "dropping-database",
    .category = Category::Data,
    .severity = Severity::Error,
    .summary = "DROP DATABASE",
    .why =
        "Dropping a database deletes every table in it. It runs outside any transaction, so a failing later "
        "step cannot undo it. A migration is the wrong place for it.",
    .lock =
        "Needs exclusive access to the database: fails (or, WITH (FORCE), kills sessions) while anyone is "
        "connected.",
    .instead = "Take a backup and drop it manually; keep migrations to schema changes within one database.",
    .bad = "DROP DATABASE legacy_reports;",
    .good = "DROP TABLE IF EXISTS legacy_reports_tmp;",
    .check = dropping_database::check,
};

}  // namespace pgstage::rules
