#include "db/schema_sql.h"

#include <filesystem>
#include <pqxx/pqxx>
#include <sstream>

#include "db/pg.h"
#include "db/redact.h"
#include "db/temp_cluster.h"
#include "proc/process.h"

namespace pgstage::db {

namespace fs = std::filesystem;

namespace {

// pg_dump of the server binaries pgstage runs clusters with, else the one on PATH.
std::string pg_dump_program() {
  std::string bin = find_postgres_bin_dir();
  if (!bin.empty() && fs::exists(bin + "/pg_dump")) return bin + "/pg_dump";
  return "pg_dump";
}

}  // namespace

bool dump_schema_sql(const std::string& url, std::string& sql, std::string& err) {
  proc::Command c;
  c.argv = {pg_dump_program(),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--no-tablespaces",
            "--no-publications",
            "--no-subscriptions",
            "--no-security-labels",
            "--exclude-schema=pgstage",
            "--dbname=" + url_without_password(url)};
  std::string password = url_password(url);
  if (!password.empty()) c.env["PGPASSWORD"] = password;
  c.env["PGCONNECT_TIMEOUT"] = "10";
  c.timeout = std::chrono::minutes(5);
  proc::Result r = proc::run(c);
  if (!r.started) {
    err = "cannot run pg_dump (" + r.error + "); install postgresql-client-15";
    return false;
  }
  if (!r.ok()) {
    std::string msg = r.err.empty() ? r.out : r.err;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    err = "pg_dump --schema-only of " + redact_url(url) + " failed" +
          (r.timed_out ? " (timed out after 5 minutes)" : "") + ": " + redact_secrets(msg, url);
    return false;
  }
  // psql meta-commands (\restrict and \unrestrict since 15.14, \connect) are not SQL.
  std::istringstream in(r.out);
  std::string line;
  sql.clear();
  while (std::getline(in, line))
    if (line.empty() || line[0] != '\\') sql += line + "\n";
  return true;
}

bool run_schema_sql(const std::string& url, const std::string& sql, std::string& err) {
  try {
    pqxx::connection c(url);
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
    return true;
  } catch (...) {
    err = current_exception_result("the schema").error;
    return false;
  }
}

}  // namespace pgstage::db
