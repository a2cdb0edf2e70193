#include "rules/rule_support.h"

namespace pgstage::rules {
namespace trigger_ddl {

const char* verb(TriggerAction a) {
  switch (a) {
    case TriggerAction::Create:
      return "CREATE TRIGGER";
    case TriggerAction::Drop:
      return "DROP TRIGGER";
    case TriggerAction::Enable:
      return "ENABLE TRIGGER";
    case TriggerAction::Disable:
      return "DISABLE TRIGGER";
  }
  return "TRIGGER";
}

void check(const StatementContext& ctx, Reporter& r) {
  each<TriggerChange>(ctx, [&](const Change& c, const TriggerChange& t) {
    if (!existing_for(ctx, c, t.table)) return;
    std::string name = t.name.empty() ? std::string() : " " + display_ident(t.name);
    std::string effect;
    if (t.action == TriggerAction::Disable)
      effect = "; while it is disabled, writes skip the trigger's logic (sync triggers, audit, integrity)";
    else if (t.action == TriggerAction::Drop)
      effect = "; the release running during the deploy may rely on what it does";
    r.report(
        std::string(verb(t.action)) + name + " on " + tick(t.table) + " " + holding(ctx.lock_of(c), t.table) + effect,
        "Run it with a short lock_timeout so it cannot stall the table while it waits for the lock:\n"
        "  SET lock_timeout = '2s';\nand keep it in its own short transaction, away from long statements.",
        where(c));
  });
}

}  // namespace trigger_ddl

extern const Rule rule_trigger_ddl = {
    .id = "trigger-ddl",
    .category = Category::Locking,
    .severity = Severity::Warning,
    .summary = "CREATE/DROP TRIGGER or ENABLE/DISABLE TRIGGER on an existing table",
    .why =
        "CREATE TRIGGER and ENABLE/DISABLE TRIGGER take SHARE ROW EXCLUSIVE (blocks writes); DROP TRIGGER takes "
        "ACCESS EXCLUSIVE (blocks reads too). The lock itself is brief, but waiting for it queues every later "
        "query; and a trigger changes what every write does.",
    .lock =
        "SHARE ROW EXCLUSIVE (create, enable, disable: blocks writes) or ACCESS EXCLUSIVE (drop: blocks reads and "
        "writes).",
    .instead =
        "Set `lock_timeout` first and run the trigger change in its own short transaction: "
        "`SET lock_timeout = '2s'; CREATE TRIGGER ...;`.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- pgstage:history-end\n"
        "CREATE TRIGGER users_audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
        "CREATE TRIGGER users_audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();",
    .check = trigger_ddl::check,
};

}  // namespace pgstage::rules
