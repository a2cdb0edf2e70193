#include "rules/rule_support.h"

namespace pgstage::rules {
namespace foreign_key_without_index {

// An index whose leading columns are exactly the foreign key's columns (in any order). A partial
// index does not count: the referenced table's DELETEs look rows up by the key alone, and a WHERE
// the lookup cannot prove leaves those rows to a scan. Nor does an index that cannot look up equality.
bool covered(const Catalog& cat, const QualifiedName& table, const std::vector<std::string>& cols) {
  for (const CatalogIndex* idx : cat.indexes_on(table)) {
    if (idx->columns.size() < cols.size() || !idx->where_sql.empty()) continue;
    if (!idx->method.empty() && idx->method != "btree" && idx->method != "hash") continue;
    bool all = true;
    for (size_t i = 0; i < cols.size(); ++i)
      if (!lists(cols, idx->columns[i])) all = false;
    if (all) return true;
  }
  return false;
}

struct Fk {
  QualifiedName table;
  std::vector<std::string> columns;
  QualifiedName ref;
  int location;
};

void check_end(const FileEndContext& ctx, Reporter& r) {
  if (!ctx.catalog || !ctx.statements || !ctx.lowered) return;
  for (size_t i = 0; i < ctx.lowered->size() && i < ctx.statements->size(); ++i) {
    int stmt_begin = int((*ctx.statements)[i].begin);
    std::vector<Fk> fks;
    for (const Change& c : (*ctx.lowered)[i].changes) {
      int loc = c.location >= 0 ? c.location : stmt_begin;
      auto add = [&](const QualifiedName& t, const Constraint& k, const std::string& column) {
        if (k.kind != ConstraintKind::ForeignKey) return;
        std::vector<std::string> cols = k.columns.empty() ? std::vector<std::string>{column} : k.columns;
        fks.push_back(Fk{t, cols, k.ref_table, k.location >= 0 ? k.location : loc});
      };
      if (auto* t = c.as<CreateTable>()) {
        for (auto& col : t->columns)
          for (auto& k : col.constraints) add(t->table, k, col.name);
        for (auto& k : t->constraints) add(t->table, k, "");
      } else if (auto* a = c.as<AddColumn>()) {
        for (auto& k : a->column.constraints) add(a->table, k, a->column.name);
      } else if (auto* a = c.as<AddConstraint>()) {
        add(a->table, a->constraint, "");
      }
    }
    for (auto& fk : fks) {
      // Only a table the catalog knows: for an unknown table its indexes are unknown too.
      if (!ctx.catalog->table(fk.table) || fk.columns.empty() || covered(*ctx.catalog, fk.table, fk.columns)) continue;
      std::string cols, qcols;
      for (auto& c : fk.columns) {
        cols += (cols.empty() ? "" : ", ") + display_ident(c);
        qcols += (qcols.empty() ? "" : ", ") + quote_ident(c);
      }
      r.report("foreign key " + tick(fk.table) + " (" + cols + ") -> " + tick(fk.ref) +
                   " has no index on its referencing columns: every DELETE or key UPDATE on " + tick(fk.ref) +
                   " scans " + tick(fk.table) + ", and joins on the key cannot use an index",
               "Index the referencing columns (CONCURRENTLY for an existing table):\n  CREATE INDEX CONCURRENTLY ON " +
                   quote_name(fk.table) + " (" + qcols + ");",
               fk.location);
    }
  }
}

}  // namespace foreign_key_without_index

extern const Rule rule_foreign_key_without_index = {
    .id = "foreign-key-without-index",
    .category = Category::Style,
    .severity = Severity::Warning,
    .summary = "A foreign key whose referencing columns have no index",
    .why =
        "Postgres indexes the referenced side of a foreign key (it must be unique) but not the referencing side. "
        "Without an index there, each DELETE or key UPDATE on the parent scans the whole child table while "
        "holding locks, and cascades become slow. Checked at the end of the file, so an index created later in "
        "the same file counts; only tables known from history or the database are checked.",
    .lock = "None by itself; the missing index makes parent deletes take long row locks and scans.",
    .instead =
        "Create an index whose leading columns are the foreign key's columns: "
        "`CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);`.",
    .bad =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n"
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));",
    .good =
        "CREATE TABLE users (id bigint PRIMARY KEY);\n"
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n"
        "CREATE INDEX orders_user_id_idx ON orders (user_id);",
    .check_file_end = foreign_key_without_index::check_end,
};

}  // namespace pgstage::rules
