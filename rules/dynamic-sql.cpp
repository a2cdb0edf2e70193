#include "rules/helpers.h"

namespace pgstage::rules {
namespace dynamic_sql {

void check(const StatementContext& ctx, Reporter& r) {
  if (!ctx.lowered.do_block || !ctx.lowered.do_block_dynamic) return;
  r.report(
      "this DO block EXECUTEs SQL built at run time from variables or queries: pgstage analysed the "
      "statements it could read (constant strings, format() and || of constants, loops over constant "
      "lists) but not this one, so its "
      "locks and compatibility were not checked",
      "Write the DDL as plain statements when the names are known, or build it from constants only "
      "(`EXECUTE format('ALTER TABLE %I ...', 'users')`) so it can be checked; otherwise review it by hand, or "
      "run it with `pgstage trace --temp-cluster` to see what it locks.");
}

}  // namespace dynamic_sql

extern const Rule rule_dynamic_sql = {
    .id = "dynamic-sql",
    .category = Category::Meta,
    .severity = Severity::Hint,
    .summary = "A DO block EXECUTEs SQL built at run time, which pgstage cannot check",
    .why =
        "pgstage checks the statements inside DO blocks, including EXECUTE of constant strings and of format() "
        "or || over constants, once per value when a FOREACH/FOR loop runs over a constant list (ARRAY[...], "
        "unnest(ARRAY[...]), VALUES, an integer range). SQL built from variables or query results is only known when it runs, so a lock "
        "or a breaking change in it would pass unseen; this hint says where that blind spot is.",
    .lock = "Whatever the built statement takes: unknown before it runs.",
    .instead =
        "Write the statements out, or build them from constants: `EXECUTE format('ALTER TABLE %I ADD COLUMN note "
        "text', 'users');` is analysed like the statement it builds.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "DO $$ DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables LOOP EXECUTE 'ANALYZE ' || t; "
        "END LOOP; END $$;",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n-- pgstage:history-end\n"
        "DO $$ BEGIN EXECUTE format('COMMENT ON TABLE %I IS %L', 'users', 'people'); END $$;",
    .check = dynamic_sql::check,
};

}  // namespace pgstage::rules
