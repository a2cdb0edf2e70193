#include "rules/rule_support.h"

namespace pgstage::rules {
namespace adding_exclusion_constraint {

void check(const StatementContext& ctx, Reporter& r) {
  each<AddConstraint>(ctx, [&](const Change& c, const AddConstraint& a) {
    if (a.constraint.kind != ConstraintKind::Exclusion || !existing_for(ctx, c, a.table)) return;
    std::string name = a.constraint.name.empty() ? "" : " " + display_ident(a.constraint.name);
    r.report("adding exclusion constraint" + name + " to " + tick(a.table) +
                 " builds its index and checks every row while it " + holding(ctx.lock_of(c), a.table) +
                 "; exclusion constraints have no NOT VALID or USING INDEX form, so this cannot be done online",
             "Declare the exclusion constraint when the table is created, or schedule this ALTER for a maintenance "
             "window with a short lock_timeout:\n  SET lock_timeout = '2s';\n  ALTER TABLE " +
                 quote_name(a.table) + " ADD CONSTRAINT ... EXCLUDE USING gist (...);",
             where(c));
  });
}

}  // namespace adding_exclusion_constraint

extern const Rule rule_adding_exclusion_constraint = {
    .id = "adding-exclusion-constraint",
    .category = Category::Locking,
    .severity = Severity::Error,
    .summary = "ADD CONSTRAINT ... EXCLUDE on an existing table",
    .why =
        "Adding an exclusion constraint builds its index and checks all rows while holding ACCESS EXCLUSIVE on "
        "the table. Unlike CHECK or FOREIGN KEY there is no NOT VALID form, and unlike UNIQUE there is no "
        "`USING INDEX` form, so the table is unavailable for the whole build.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes) for the index build.",
    .instead =
        "Create the constraint together with the table, or run it in a maintenance window with "
        "`SET lock_timeout`. If uniqueness is enough, build a unique index CONCURRENTLY instead.",
    .bad =
        "CREATE TABLE bookings (id bigint PRIMARY KEY, room int, during tsrange);\n-- pgstage:history-end\n"
        "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
    .good =
        "CREATE TABLE bookings (id bigint PRIMARY KEY, room int, during tsrange,\n"
        "  CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&));",
    .check = adding_exclusion_constraint::check,
};

}  // namespace pgstage::rules
