#include <fstream>
#include <iostream>

#include "cli/command_options.h"
#include "cli/commands.h"
#include "cli/schema_start.h"
#include "db/live_schema.h"
#include "db/redact.h"
#include "db/schema_sql.h"

namespace pgstage::cli {

namespace {

int run_snapshot_command(const SnapshotArgs& a) {
  Catalog cat;
  std::string err;
  if (!db::read_live_catalog(a.database_url, cat, err)) {
    std::cerr << "pgstage snapshot: " << err << "\n";
    return kExitFailed;
  }
  // The schema as SQL too, so that `plan --verify --schema` and `check-queries --schema` can build a
  // throwaway database from the snapshot; without pg_dump the snapshot still serves lint.
  std::string sql;
  if (!db::dump_schema_sql(a.database_url, sql, err))
    std::cerr << "pgstage snapshot: note: the snapshot has no schema SQL (" << err
              << "); `lint --schema` reads it, `plan --verify --schema` and `check-queries --schema` need it\n";
  std::string text = db::catalog_to_json(cat, sql);
  if (a.output.empty() || a.output == "-") {
    std::cout << text;
    return kExitOk;
  }
  std::ofstream f(a.output);
  if (!(f << text)) {
    std::cerr << "pgstage snapshot: cannot write " << a.output << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

namespace {

bool read_snapshot(const std::string& schema_file, Catalog& out, std::string* sql, std::string& err) {
  std::ifstream f(schema_file);
  if (!f) {
    err = schema_file + ": cannot read the schema snapshot";
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return db::catalog_from_json(text, schema_file, out, err, sql);
}

}  // namespace

bool load_schema_source(const std::string& database_url, const std::string& schema_file, Catalog& out,
                        std::string& err) {
  if (!database_url.empty()) return db::read_live_catalog(database_url, out, err);
  return read_snapshot(schema_file, out, nullptr, err);
}

bool load_schema_start(const std::string& database_url, const std::string& schema_file, bool need_sql,
                       SchemaStart& out, std::string& err) {
  if (!database_url.empty()) {
    out.source = "the schema of " + db::redact_url(database_url);
    if (!db::read_live_catalog(database_url, out.catalog, err)) return false;
    return !need_sql || db::dump_schema_sql(database_url, out.sql, err);
  }
  out.source = "snapshot " + schema_file;
  if (!read_snapshot(schema_file, out.catalog, &out.sql, err)) return false;
  if (need_sql && out.sql.empty()) {
    err = schema_file +
          ": the snapshot has no schema SQL to build a throwaway database from (it was written without pg_dump); "
          "write it again with `pgstage snapshot` where pg_dump (postgresql-client-15) is installed, or use "
          "--schema-url URL";
    return false;
  }
  return true;
}

void add_snapshot_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<SnapshotFlags>();
  CLI::App* cmd = app.add_subcommand(
      "snapshot",
      "Write the schema and table sizes of a database as JSON (read-only), for `pgstage lint --schema FILE` "
      "in CI without database credentials");
  cmd->add_option("--database-url", f->database_url,
                  "Database to read (read-only; the password is never printed; default: the variable [snapshot] "
                  "database_url_env names)");
  cmd->add_option("-o,--output", f->output, "Write to this file instead of stdout");
  add_config_flags(*cmd, f->config);
  cmd->callback([f, &exit_code] {
    SnapshotArgs a;
    exit_code =
        configure("snapshot", f->config, [&](const Config& c, std::string& e) { return resolve_snapshot(*f, c, a, e); })
            ? run_snapshot_command(a)
            : kExitUsage;
  });
}

}  // namespace pgstage::cli
