#include <set>

#include "analyzer/types.h"
#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace changing_column_type {

// Whether an index key's text (a column name or an expression's SQL) names `column`.
bool mentions_column(const std::string& key, const std::string& column) {
  for (auto& ref : column_refs_in(key))
    if (ref.name == column) return true;
  return false;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<AlterColumnType>(ctx, [&](const Change& c, const AlterColumnType& a) {
    if (!existing(ctx, a.table)) return;
    std::optional<TypeName> old_type = known_type(ctx, a.table, a.column);
    TypeChangeFacts tf = type_change_facts(old_type ? &*old_type : nullptr, a.new_type, a.column, a.using_expr,
                                           ctx.settings.pg_version, ctx.settings.timezone);
    std::string target = tick(a.table, a.column);
    std::string to = a.new_type.str();
    std::string lock = lock_on(ctx, c, a.table);
    std::string staged = "Add a new column of type " + to +
                         ", keep it in sync with a trigger, backfill it in "
                         "batches, switch the code to it, then drop the old column in the next release:\n"
                         "  ALTER TABLE " +
                         quote_name(a.table) + " ADD COLUMN " + quote_ident(a.column + "_new") + " " + to + ";" +
                         plan_line();
    if (tf.verdict == TypeChangeVerdict::NoRewrite) {
      if (column_is_new(ctx, a.table, a.column)) return;
      // A new collation keeps the rows but not the indexes over the column: each is rebuilt (sorted
      // again) under the statement's ACCESS EXCLUSIVE lock.
      std::vector<std::string> rebuilt;
      if (!a.collation.empty())
        for (const CatalogIndex* ix : ctx.catalog.indexes_on(a.table))
          for (auto& k : ix->columns)
            if (k == a.column || mentions_column(k, a.column)) {
              rebuilt.push_back(ix->name);
              break;
            }
      if (!rebuilt.empty()) {
        std::string names;
        for (auto& n : rebuilt) names += (names.empty() ? "`" : ", `") + n + "`";
        r.report(Reporter::Report{
            "changing the collation of " + target + " to \"" + a.collation +
                "\" keeps the rows but rebuilds every index over the column (" + names + ") while it " + lock,
            "Build the index with the new collation first, without blocking writes (`CREATE INDEX CONCURRENTLY ... "
            "(" + quote_ident(a.column) + " COLLATE " + quote_ident(a.collation) +
                ")`), or change the collation while the table is small; set a short `lock_timeout` before it.",
            where(c), Severity::Warning, std::nullopt});
        return;
      }
      r.report(Reporter::Report{
          "changing the type of " + target + " to " + to + " needs no table rewrite: " + tf.reason +
              ". It is a catalog change that still " + lock + " briefly",
          "Nothing to change; set a short `lock_timeout` before it so it cannot stall traffic while it waits.",
          where(c), Severity::Hint, std::nullopt});
      return;
    }
    if (column_is_new(ctx, a.table, a.column) && tf.verdict == TypeChangeVerdict::Unknown) return;
    if (tf.verdict == TypeChangeVerdict::Unknown && old_type) {
      // The type is known; the verdict depends on a setting (the session TimeZone).
      r.report(Reporter::Report{"changing the type of " + target + " to " + to +
                                    " may rewrite the whole table and "
                                    "its indexes while it " +
                                    lock + ": " + tf.reason,
                                staged + " If migrations run with TimeZone UTC, say so (`timezone = \"UTC\"`) and "
                                         "this is a catalog-only change.",
                                where(c), Severity::Warning, std::nullopt});
      return;
    }
    if (tf.verdict == TypeChangeVerdict::Unknown) {
      // The old type is not known. A target that some type reaches without a rewrite (a wider
      // varchar or numeric, text, a typmod change) is a warning that says what decides it (the
      // second precision measurement found such errors on varchar widenings whose history was
      // missing); any other target (bigint, uuid, jsonb, an enum, ...) is a rewrite from anything
      // but itself: the rule's error.
      static const std::set<std::string, std::less<>> kMaybeCoercible = {
          "text", "varchar", "bpchar", "numeric", "varbit", "bit", "inet", "citext",
          "timestamp", "timestamptz", "time", "timetz", "interval"};
      bool maybe = a.new_type.schema.empty() && a.new_type.array_dims == 0 && kMaybeCoercible.count(a.new_type.name);
      r.report(Reporter::Report{
          "changing the type of " + target + " to " + to +
              ": the verdict is uncertain because the column's current type is not known (no earlier "
              "migration or database defines it). Unless the change is binary-coercible (e.g. widening a "
              "varchar), Postgres rewrites the whole table and its indexes while it " +
              lock + ", and the running release may send values the new type rejects",
          staged +
              " If the change is binary-coercible, lint with the earlier migrations as history "
              "(`--history DIR`) so pgstage can tell.",
          where(c), maybe ? std::optional<Severity>(Severity::Warning) : std::nullopt, std::nullopt});
      return;
    }
    r.report("changing the type of " + target + (old_type ? " from " + old_type->str() : std::string()) + " to " + to +
                 " rewrites the whole table and its indexes while it " + lock + " (" + tf.reason +
                 "); the running release may also send values the new type rejects",
             staged, where(c));
  });
}

}  // namespace changing_column_type

extern const Rule rule_changing_column_type = {
    .id = "changing-column-type",
    .category = Category::Compat,
    .severity = Severity::Error,
    .summary = "ALTER COLUMN ... TYPE that is not binary-coercible",
    .why =
        "Unless the old type is binary-coercible to the new one (varchar(n) -> varchar(m>n) or text, "
        "numeric(p,s) -> numeric(p2>p,s), cidr -> inet, ...), Postgres rewrites every row and rebuilds every "
        "index while holding ACCESS EXCLUSIVE: reads and writes stop for the whole rewrite. The running release "
        "may also write values that the new type rejects. A binary-coercible change is reported as a hint. When "
        "no history gives the old type, a target some type reaches without a rewrite (varchar, text, numeric, a "
        "typmod change) is a warning; any other target is an error.",
    .lock = "ACCESS EXCLUSIVE on the table (blocks reads and writes) for the whole rewrite.",
    .instead =
        "`ALTER TABLE t ADD COLUMN c_new <new type>;`, a trigger that copies writes into `c_new`, a batched "
        "backfill, release code that uses `c_new`, then drop `c` and rename in the next release.",
    .bad =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total integer);\n-- pgstage:history-end\n"
        "ALTER TABLE orders ALTER COLUMN total TYPE bigint;",
    .good =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total integer);\n-- pgstage:history-end\n"
        "ALTER TABLE orders ADD COLUMN total_big bigint;",
    .check = changing_column_type::check,
};

}  // namespace pgstage::rules
