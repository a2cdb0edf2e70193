#include "queries/queries.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <pqxx/pqxx>

#include "analyzer/parse.h"
#include "analyzer/source.h"
#include "db/pg.h"
#include "db/redact.h"

namespace fs = std::filesystem;

namespace pgstage::queries {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Offset of the first character of `sql` past whitespace, comments and opening parentheses.
size_t skip_noise(const std::string& sql, size_t i = 0) {
  while (i < sql.size()) {
    unsigned char c = static_cast<unsigned char>(sql[i]);
    if (std::isspace(c) || c == '(') {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      size_t nl = sql.find('\n', i);
      i = nl == std::string::npos ? sql.size() : nl + 1;
    } else if (sql.compare(i, 2, "/*") == 0) {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  return i;
}

// pgstage's own statements: its state schema, the ones marked /* pgstage */ (pg_stat_statements
// keeps comments, and replaces the literals that would otherwise say what a statement reads), and
// the statements that read pg_stat_statements.
bool is_pgstage_statement(const std::string& sql) {
  std::string l = lower(sql);
  return l.find("pgstage.") != std::string::npos || l.find("/* pgstage */") != std::string::npos ||
         l.find("\"pgstage\".") != std::string::npos || l.find("pg_stat_statements") != std::string::npos;
}

bool load_one_file(const std::string& path, std::vector<Query>& out, std::string& err) {
  SourceFile f;
  if (!read_source(path, Layout::Plain, f, err)) return false;
  ParsedFile parsed = parse_source(f);
  for (auto& st : parsed.statements) {
    if (st.error) {
      Position p = f.position(std::min(st.error->offset, f.text.size()));
      err = path + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) +
            ": the query does not parse: " + st.error->message;
      return false;
    }
    std::string text = st.text(f);
    size_t first = skip_noise(text);
    if (first >= text.size()) continue;  // only comments
    Position p = f.position(st.begin + first);
    if (!preparable(text)) {
      err = path + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) +
            ": not a query (PREPARE takes SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES, TABLE or WITH): " +
            one_line(text, 60);
      return false;
    }
    Query q;
    q.sql = text;
    q.file = path;
    q.line = p.line;
    q.column = p.column;
    q.origin = path + ":" + std::to_string(p.line);
    out.push_back(std::move(q));
  }
  return true;
}

}  // namespace

bool preparable(const std::string& sql) {
  size_t i = skip_noise(sql);
  size_t j = i;
  while (j < sql.size() && std::isalpha(static_cast<unsigned char>(sql[j]))) ++j;
  std::string kw = lower(sql.substr(i, j - i));
  return kw == "select" || kw == "insert" || kw == "update" || kw == "delete" || kw == "merge" || kw == "values" ||
         kw == "table" || kw == "with";
}

std::string one_line(const std::string& sql, size_t max) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
    out = out.substr(0, cut) + "...";
  }
  return out;
}

bool load_query_files(const std::string& path, std::vector<Query>& out, std::string& err) {
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".sql") files.push_back(it->path().string());
    }
    if (ec) {
      err = path + ": cannot read the directory: " + ec.message();
      return false;
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      err = path + ": no .sql files in the directory";
      return false;
    }
  } else {
    files.push_back(path);
  }
  size_t before = out.size();
  for (auto& f : files)
    if (!load_one_file(f, out, err)) return false;
  if (out.size() == before) {
    err = path + ": no queries in it";
    return false;
  }
  return true;
}

bool load_pg_stat_statements(const std::string& url, const StatsFilter& filter, std::vector<Query>& out,
                             StatsSkipped& skipped, std::string& err) {
  try {
    pqxx::connection c(url);
    pqxx::read_transaction tx(c);
    pqxx::result ext = tx.exec("/* pgstage */ SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'");
    if (ext.empty()) {
      err =
          "pg_stat_statements is not installed in this database (CREATE EXTENSION pg_stat_statements; "
          "it also needs shared_preload_libraries = 'pg_stat_statements')";
      return false;
    }
    pqxx::result r = tx.exec_params(
        "/* pgstage */ SELECT s.queryid, s.query, sum(s.calls)::bigint AS calls "
        "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
        "LEFT JOIN pg_roles r ON r.oid = s.userid "
        "WHERE ($1 = '*' OR d.datname = CASE WHEN $1 = '' THEN current_database() ELSE $1 END) "
        "AND ($2 = '' OR r.rolname = $2) AND s.queryid IS NOT NULL AND s.query IS NOT NULL "
        "GROUP BY s.queryid, s.query ORDER BY calls DESC, s.queryid",
        filter.database, filter.role);
    for (auto row : r) {
      std::string sql = row[1].as<std::string>();
      if (is_pgstage_statement(sql)) {
        ++skipped.pgstage;
        continue;
      }
      if (!preparable(sql)) {
        ++skipped.utility;
        continue;
      }
      ParsedFile parsed = parse_sql(sql);
      if (parsed.statements.size() != 1 || parsed.statements[0].error) {
        ++skipped.unparsed;
        continue;
      }
      Query q;
      q.sql = sql;
      q.from_stats = true;
      q.queryid = row[0].as<std::int64_t>();
      q.calls = row[2].as<long long>();
      q.origin = "pg_stat_statements queryid " + std::to_string(q.queryid) + ", calls " + std::to_string(q.calls);
      out.push_back(std::move(q));
    }
    return true;
  } catch (...) {
    err = db::redact_secrets(db::current_exception_result("pg_stat_statements").error, url);
    return false;
  }
}

}  // namespace pgstage::queries
