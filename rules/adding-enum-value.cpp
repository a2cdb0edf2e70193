#include "rules/helpers.h"

namespace pgstage::rules {
namespace adding_enum_value {

// Whether the statement's text uses 'label' as a string literal.
bool mentions(const StatementContext& ctx, const std::string& label, size_t from = 0) {
  std::string lit = "'";
  for (char ch : label) lit += ch == '\'' ? std::string("''") : std::string(1, ch);
  lit += "'";
  size_t begin = std::max(from, ctx.statement.begin);
  if (begin >= ctx.statement.end) return false;
  std::string_view text(ctx.file.text.data() + begin, ctx.statement.end - begin);
  return text.find(lit) != std::string_view::npos;
}

// An enum created in the change set: Postgres allows ADD VALUE in the transaction that created the
// type (before 12) and lets that transaction use the new label (12+).
bool new_type(const StatementContext& ctx, const QualifiedName& type) {
  const CatalogObject* o = ctx.catalog.object("type", type);
  return o && o->created_in_review;
}

void check(const StatementContext& ctx, Reporter& r) {
  const int v = ctx.settings.pg_version;
  const auto& changes = ctx.lowered.changes;
  for (size_t i = 0; i < changes.size(); ++i) {
    const Change& c = changes[i];
    const AlterEnumAddValue* e = c.as<AlterEnumAddValue>();
    if (!e || new_type(ctx, e->type)) continue;
    if (c.from_do_block && v < 12) {
      r.report("ALTER TYPE " + tick(e->type) +
                   " ADD VALUE inside a DO block fails before PostgreSQL 12 (pg_version "
                   "is " +
                   std::to_string(v) + "): \"cannot be executed from a function\"",
               "Run it as a plain top-level statement in a non-transactional migration (`-- pgstage:no-transaction`), "
               "or raise pg_version if the server is 12 or newer.",
               where(c));
      continue;
    }
    // Later statements of the same DO block run in the same transaction.
    if (c.from_do_block && i + 1 < changes.size() && changes[i + 1].location > c.location &&
        mentions(ctx, e->value, size_t(changes[i + 1].location))) {
      r.report("enum value '" + e->value + "' of " + tick(e->type) +
                   " is used later in the DO block that added "
                   "it: a DO block is one transaction, and Postgres rejects a new enum value with \"unsafe use of "
                   "new value\" until the ADD VALUE commits",
               "Add the value in its own statement (committed), and use it in a later one.", where(changes[i + 1]));
    }
  }
  each<AlterEnumAddValue>(ctx, [&](const Change& c, const AlterEnumAddValue& e) {
    if (!ctx.tx.in_transaction || v >= 12 || new_type(ctx, e.type) || c.from_do_block) return;
    r.report("ALTER TYPE " + tick(e.type) +
                 " ADD VALUE cannot run inside a transaction block before PostgreSQL 12 "
                 "(pg_version is " +
                 std::to_string(v) +
                 "): the migration fails with \"cannot run inside a "
                 "transaction block\"",
             "Run it in its own non-transactional migration (`-- pgstage:no-transaction`, goose "
             "`-- +goose NO TRANSACTION`), or raise pg_version if the server is 12 or newer.",
             where(c));
  });
  if (!ctx.tx.in_transaction || ctx.tx.enum_labels_added.empty()) return;
  for (const Change& c : ctx.lowered.changes)
    if (c.is<AlterEnumAddValue>() || c.is<TransactionControl>()) return;
  for (auto& [type, label] : ctx.tx.enum_labels_added) {
    if (new_type(ctx, type) || !mentions(ctx, label)) continue;
    r.report("enum value '" + label + "' of " + tick(type) +
                 " is used in the transaction that added it: Postgres "
                 "rejects it with \"unsafe use of new value\" until the ADD VALUE commits (PostgreSQL 12+; before "
                 "12 the ADD VALUE itself fails in a transaction)",
             "Commit after `ALTER TYPE ... ADD VALUE` and use the value in a later transaction or migration:\n"
             "  ALTER TYPE " +
                 quote_name(type) + " ADD VALUE '" + label + "';\n  COMMIT;");
    return;
  }
}

}  // namespace adding_enum_value

extern const Rule rule_adding_enum_value = {
    .id = "adding-enum-value",
    .category = Category::Transaction,
    .severity = Severity::Warning,
    .summary =
        "ALTER TYPE ... ADD VALUE inside a transaction before PG 12, or the new value used in the same "
        "transaction",
    .why =
        "Before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block, so a runner that "
        "wraps each file fails. From 12 on it can, but the new label cannot be used (in an UPDATE, a DEFAULT, a "
        "CHECK...) until the transaction that added it commits.",
    .lock = "Catalog only: no lock on the tables that use the type.",
    .instead =
        "Add enum values in their own migration (non-transactional before PG 12), and use them in a later "
        "one:\n  -- pgstage:no-transaction\n  ALTER TYPE status ADD VALUE 'archived';",
    .bad =
        "CREATE TYPE status AS ENUM ('active', 'inactive');\nCREATE TABLE users (id bigint, s status);\n"
        "-- pgstage:history-end\nBEGIN;\nALTER TYPE status ADD VALUE 'archived';\n"
        "UPDATE users SET s = 'archived' WHERE s = 'inactive';\nCOMMIT;",
    .good =
        "CREATE TYPE status AS ENUM ('active', 'inactive');\nCREATE TABLE users (id bigint, s status);\n"
        "-- pgstage:history-end\nALTER TYPE status ADD VALUE 'archived';\n"
        "UPDATE users SET s = 'archived' WHERE s = 'inactive';",
    .check = adding_enum_value::check,
};

}  // namespace pgstage::rules
