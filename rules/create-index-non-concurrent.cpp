#include "rules/core_helpers.h"

namespace pgstage::rules {
namespace {

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

void check(const StatementContext& ctx, Reporter& r) {
  each<CreateIndex>(ctx, [&](const Change& c, const CreateIndex& a) {
    if (a.concurrently || !existing(ctx, a.table)) return;
    std::string name = name_or(a.name, a.table, a.columns, "idx");
    std::string kind = a.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX";
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

}  // namespace

extern const Rule rule_create_index_non_concurrent = {
    .id = "create-index-non-concurrent",
    .category = Category::Locking,
    .severity = Severity::Error,
    .summary = "CREATE INDEX without CONCURRENTLY on an existing table",
    .why = "A plain CREATE INDEX holds a SHARE lock for the whole build. Reads continue, but every write to the "
           "table waits, which on a large table means minutes of failed or stalled requests.",
    .lock = "SHARE on the table (blocks writes) for the whole build.",
    .instead = "`CREATE INDEX CONCURRENTLY name ON t (cols);` in its own migration that does not run in a "
               "transaction block. If it fails it leaves an INVALID index: drop it and retry.",
    .bad = "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
           "CREATE INDEX orders_total_idx ON orders (total);",
    .good = "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n-- pgstage:history-end\n"
            "CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);",
    .check = check,
};

}  // namespace pgstage::rules
