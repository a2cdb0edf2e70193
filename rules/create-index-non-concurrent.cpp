#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace create_index_non_concurrent {

// The statement as written with CONCURRENTLY added after INDEX (keeps opclasses, INCLUDE, WHERE, ...).
std::string concurrent_sql(const StatementContext& ctx, const Change& c) {
  if (c.from_do_block) return {};
  std::string text = ctx.statement.text(ctx.file);
  std::string lower;
  for (char ch : text) lower += char(std::tolower(static_cast<unsigned char>(ch)));
  size_t p = lower.find("index");
  if (p == std::string::npos || lower.rfind("create", 0) != 0) return {};
  std::string out = text.substr(0, p + 5) + " CONCURRENTLY" + text.substr(p + 5) + ";";
  for (size_t i = out.find('\n'); i != std::string::npos; i = out.find('\n', i + 1)) out.insert(i + 1, "  ");
  return out;
}

// Postgres refuses CONCURRENTLY on a partitioned table. The recipe that works: an invalid index on
// the parent alone (ON ONLY, instant), each partition's index built concurrently, then attached; the
// parent's index becomes valid once every partition has one.
std::string partitioned_recipe(const StatementContext& ctx, const CreateIndex& a, const std::string& name) {
  std::string kind = a.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX";
  std::string method = a.method.empty() || a.method == "btree" ? "" : " USING " + a.method;
  std::string cols = " (" + column_list_sql(a.columns) + ");";
  std::string out =
      "Postgres refuses CONCURRENTLY on a partitioned table. Create the index on the parent alone "
      "(instant, left invalid), build each partition's index concurrently, then attach it:\n  " +
      kind + " " + quote_ident(name) + " ON ONLY " + quote_name(a.table) + method + cols;
  std::vector<QualifiedName> parts;
  for (const CatalogTable* t : ctx.catalog.partitions_of(a.table)) parts.push_back(t->name);
  if (parts.empty()) parts.push_back(QualifiedName{a.table.schema, a.table.name + "_p1"});
  for (auto& p : parts) {
    std::string pidx = name_or({}, p, a.columns, "idx");
    out += "\n  " + kind + " CONCURRENTLY " + quote_ident(pidx) + " ON " + quote_name(p) + method + cols +
           "\n  ALTER INDEX " + quote_name(QualifiedName{a.table.schema, name}) + " ATTACH PARTITION " +
           quote_name(QualifiedName{p.schema, pidx}) + ";";
  }
  if (parts.size() == 1 && parts[0].name == a.table.name + "_p1")
    out += "\n(one CREATE INDEX CONCURRENTLY and ATTACH PARTITION per partition; the partitions are not known here)";
  return out;
}

void check(const StatementContext& ctx, Reporter& r) {
  each<CreateIndex>(ctx, [&](const Change& c, const CreateIndex& a) {
    if (a.concurrently) return;
    std::string name = name_or(a.name, a.table, a.columns, "idx");
    std::string kind = a.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX";
    if (!existing(ctx, a.table)) {
      auto p = populated_new_table(ctx, c, a.table);
      if (!p) return;
      std::string sql = concurrent_sql(ctx, c);
      if (sql.empty())
        sql = kind + " CONCURRENTLY " + quote_ident(name) + " ON " + quote_name(a.table) + " (" +
              column_list_sql(a.columns) + ");";
      r.report(Reporter::Report{
          kind + " on " + tick(a.table) + " without CONCURRENTLY reads and sorts " + p->rows() + p->consequence(),
          p->held.empty() ? p->lone_help() + "build it concurrently, outside a transaction block:\n  " + sql
                          : "Build it in a transaction that holds no lock on tables in use (commit the other "
                            "statements first), or concurrently outside a transaction block:\n  " +
                                sql,
          where(c), p->severity(Severity::Error), std::nullopt});
      return;
    }
    const CatalogTable* t = ctx.catalog.table(a.table);
    // ON ONLY is written for a partitioned parent: the parent alone, no rows, no build (step one of
    // the recipe). On a table the history shows is plain, ONLY changes nothing and it builds.
    if (a.only && (!t || t->kind == "partitioned")) return;
    if (t && t->kind == "partitioned") {
      r.report(kind + " on partitioned table " + tick(a.table) + " builds the index on every partition " +
                   lock_on(ctx, c, a.table) +
                   " (and on each partition): writes to all of them wait until the last "
                   "build ends",
               partitioned_recipe(ctx, a, name), where(c));
      return;
    }
    std::string sql = concurrent_sql(ctx, c);
    if (sql.empty())
      sql = kind + " CONCURRENTLY " + (a.if_not_exists ? "IF NOT EXISTS " : "") + quote_ident(name) + " ON " +
            quote_name(a.table) + (a.method.empty() || a.method == "btree" ? "" : " USING " + a.method) + " (" +
            column_list_sql(a.columns) + ");";
    r.report(kind + " on " + tick(a.table) + " without CONCURRENTLY " + lock_on(ctx, c, a.table) +
                 " for the whole index build: every INSERT, UPDATE and DELETE on it waits until the build ends",
             "Build it concurrently, as its own statement outside a transaction block:\n  " + sql + plan_line(),
             where(c));
  });
}

}  // namespace create_index_non_concurrent

extern const Rule rule_create_index_non_concurrent = {
    .id = "create-index-non-concurrent",
    .category = Category::Locking,
    .severity = Severity::Error,
    .summary =
        "CREATE INDEX without CONCURRENTLY on an existing table, or on a new table filled from others (a warning "
        "unless a table in use stays locked during the build)",
    .why =
        "A plain CREATE INDEX holds a SHARE lock for the whole build. Reads continue, but every write to the "
        "table waits, which on a large table means minutes of failed or stalled requests.",
    .lock = "SHARE on the table (blocks writes) for the whole build.",
    .instead =
        "`CREATE INDEX CONCURRENTLY name ON t (cols);` in its own migration that does not run in a "
        "transaction block. If it fails it leaves an INVALID index: drop it and retry.",
    .bad =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
        "CREATE INDEX orders_total_idx ON orders (total);",
    .good =
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
        "CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);",
    .check = create_index_non_concurrent::check,
};

}  // namespace pgstage::rules
