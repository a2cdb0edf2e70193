#include "rules/helpers.h"

namespace pgstage::rules {
namespace {

// Whether the statement's text uses 'label' as a string literal.
bool mentions(const StatementContext& ctx, const std::string& label) {
  std::string lit = "'";
  for (char ch : label) lit += ch == '\'' ? std::string("''") : std::string(1, ch);
  lit += "'";
  std::string_view text(ctx.file.text.data() + ctx.statement.begin, ctx.statement.end - ctx.statement.begin);
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
  each<AlterEnumAddValue>(ctx, [&](const Change& c, const AlterEnumAddValue& e) {
    if (!ctx.tx.in_transaction || v >= 12 || new_type(ctx, e.type)) return;
    r.report("ALTER TYPE " + tick(e.type) + " ADD VALUE cannot run inside a transaction block before PostgreSQL 12 "
                 "(pg_version is " + std::to_string(v) + "): the migration fails with \"cannot run inside a "
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
    r.report("enum value '" + label + "' of " + tick(type) + " is used in the transaction that added it: Postgres "
                 "rejects it with \"unsafe use of new value\" until the ADD VALUE commits (PostgreSQL 12+; before "
                 "12 the ADD VALUE itself fails in a transaction)",
             "Commit after `ALTER TYPE ... ADD VALUE` and use the value in a later transaction or migration:\n"
             "  ALTER TYPE " + quote_name(type) + " ADD VALUE '" + label + "';\n  COMMIT;");
    return;
  }
}

}  // namespace

extern const Rule rule_adding_enum_value = {
    .id = "adding-enum-value",
    .category = Category::Transaction,
    .severity = Severity::Warning,
    .summary = "ALTER TYPE ... ADD VALUE inside a transaction before PG 12, or the new value used in the same "
               "transaction",
    .why = "Before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block, so a runner that "
           "wraps each file fails. From 12 on it can, but the new label cannot be used (in an UPDATE, a DEFAULT, a "
           "CHECK...) until the transaction that added it commits.",
    .lock = "Catalog only: no lock on the tables that use the type.",
    .instead = "Add enum values in their own migration (non-transactional before PG 12), and use them in a later "
               "one:\n  -- pgstage:no-transaction\n  ALTER TYPE status ADD VALUE 'archived';",
    .bad = "CREATE TYPE status AS ENUM ('active', 'inactive');\nCREATE TABLE users (id bigint, s status);\n"
           "-- pgstage:history-end\nBEGIN;\nALTER TYPE status ADD VALUE 'archived';\n"
           "UPDATE users SET s = 'archived' WHERE s = 'inactive';\nCOMMIT;",
    .good = "CREATE TYPE status AS ENUM ('active', 'inactive');\nCREATE TABLE users (id bigint, s status);\n"
            "-- pgstage:history-end\nALTER TYPE status ADD VALUE 'archived';\n"
            "UPDATE users SET s = 'archived' WHERE s = 'inactive';",
    .check = check,
};

}  // namespace pgstage::rules
