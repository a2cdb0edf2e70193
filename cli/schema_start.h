// The schema a command starts from when it is not the migrations before the file replayed: a live
// database (read-only) or a `pgstage snapshot` file. Defined in cli/snapshot_cmd.cpp.
#pragma once

#include <string>

#include "analyzer/catalog.h"

namespace pgstage::cli {

// The live database (`database_url`, read-only) or else the snapshot file as a Catalog: lint's and
// trace's history.
bool load_schema_source(const std::string& database_url, const std::string& schema_file, Catalog& out,
                        std::string& err);

// What `plan` and `check-queries` start from with --schema-url or --schema: the Catalog they plan
// with and, for a throwaway database, the schema as SQL (pg_dump --schema-only of the live
// database, or the snapshot's "sql").
struct SchemaStart {
  Catalog catalog;
  std::string sql;
  std::string source;  // for messages: "the schema of postgresql://app:***@db/prod", "snapshot schema.json"
};
// `need_sql`: the command builds a throwaway database from it (a snapshot without "sql" is then an
// error saying how to write one that has it).
bool load_schema_start(const std::string& database_url, const std::string& schema_file, bool need_sql,
                       SchemaStart& out, std::string& err);

}  // namespace pgstage::cli
