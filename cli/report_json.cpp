#include <sys/sendfile.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

#include "cli/json_writer.h"
#include "cli/report.h"

namespace pgstage::cli {

using json = nlohmann::ordered_json;

namespace {

// The lock facts of a statement or finding: the one definition of their JSON shape.
void write_lock(JsonWriter& w, const LockFacts& l) {
  w.begin_object();
  w.key("mode");
  if (l.mode == LockMode::None)
    w.value(nullptr);
  else
    w.value(lock_mode_name(l.mode));
  w.key("tables").begin_array();
  for (auto& t : l.tables) w.qualified_value(t.table.schema, t.table.name);
  w.end_array();
  w.member("blocks_reads", blocks_reads(l.mode));
  w.member("blocks_writes", blocks_writes(l.mode));
  w.key("per_table").begin_array();
  for (auto& t : l.tables) {
    w.begin_object();
    w.key("table").qualified_value(t.table.schema, t.table.name);
    w.member("mode", lock_mode_name(t.mode));
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace

json lock_json(const LockFacts& l) {
  std::ostringstream s;
  {
    JsonWriter w(s);
    write_lock(w, l);
  }
  return json::parse(s.str());
}

namespace {

// Whether two lock facts have the same JSON (what write_lock() writes).
bool same_lock_json(const LockFacts& a, const LockFacts& b) {
  if (a.mode != b.mode || a.tables.size() != b.tables.size()) return false;
  for (size_t i = 0; i < a.tables.size(); ++i)
    if (a.tables[i].mode != b.tables[i].mode || !(a.tables[i].table == b.tables[i].table)) return false;
  return true;
}

// `lock_bytes`: the lock's JSON when already rendered at this depth (most findings repeat their
// statement's lock facts), else null.
void write_finding(JsonWriter& w, const Finding& f, const std::string* lock_bytes = nullptr,
                   const std::map<std::string, QueryEvidence>* evidence = nullptr) {
  w.begin_object();
  w.member("rule", f.rule);
  w.member("category", category_name(f.category));
  w.member("severity", severity_name(f.severity));
  w.member("file", f.file);
  w.member("line", f.start.line);
  w.member("column", f.start.column);
  w.member("end_line", f.stop.line);
  w.member("end_column", f.stop.column);
  w.member("message", f.message);
  w.member("help", f.help);
  w.key("lock");
  if (lock_bytes)
    w.raw_value(*lock_bytes);
  else
    write_lock(w, f.lock);
  w.member("rewrite", f.lock.rewrite);
  w.member("rewrite_uncertain", f.lock.rewrite_uncertain);
  w.member("scan", f.lock.scan);
  w.member("plannable", f.plannable);
  w.member("fingerprint", f.fingerprint);
  if (evidence) {
    if (auto it = evidence->find(f.fingerprint); it != evidence->end()) {
      auto& e = it->second;
      w.key("queries");
      w.begin_object();
      w.member("checked", e.checked);
      w.key("objects");
      w.begin_array();
      for (auto& o : e.objects) w.value(o);
      w.end_array();
      w.key("using");
      w.begin_array();
      for (auto& [origin, sql] : e.using_queries) {
        w.begin_object();
        w.member("origin", origin);
        w.member("sql", sql);
        w.end_object();
      }
      w.end_array();
      w.key("unresolved");
      w.begin_array();
      for (auto& [origin, why] : e.unresolved) {
        w.begin_object();
        w.member("origin", origin);
        w.member("reason", why);
        w.end_object();
      }
      w.end_array();
      w.end_object();
    }
  }
  w.end_object();
}

// `lock_bytes`: when given, receives the JSON of the statement's lock (for write_finding()).
void write_statement(JsonWriter& w, const StatementInfo& s, std::string* lock_bytes = nullptr) {
  w.begin_object();
  w.member("file", s.file);
  w.member("line", s.start.line);
  w.member("column", s.start.column);
  w.member("end_line", s.stop.line);
  w.member("end_column", s.stop.column);
  w.key("span").begin_object().member("begin", s.begin).member("end", s.end).end_object();
  w.member("kind", s.kind);
  w.key("changes").begin_array();
  for (auto& c : s.changes) w.value(c);
  w.end_array();
  w.member("in_transaction", s.in_transaction);
  w.key("lock");
  if (lock_bytes)
    *lock_bytes = w.captured_value([&](JsonWriter& w) { write_lock(w, s.lock); });
  else
    write_lock(w, s.lock);
  w.member("rewrite", s.lock.rewrite);
  w.member("rewrite_uncertain", s.lock.rewrite_uncertain);
  w.member("scan", s.lock.scan);
  w.member("transactional", s.lock.transactional);
  w.end_object();
}

// The document around the statements and findings arrays, whose elements `statements(w)` and
// `findings(w)` write (from the result, or spliced from a JsonStream's spill files).
template <class Statements, class Findings>
void write_document(const LintResult& r, const ReportOptions& o, JsonWriter& w, Statements&& statements,
                    Findings&& findings) {
  w.begin_object();
  w.member("version", 1);
  w.key("tool").begin_object().member("name", "pgstage").member("version", PGSTAGE_VERSION).end_object();
  w.member("pg_version", r.pg_version);
  w.key("files").begin_array();
  for (auto& f : r.files) {
    w.begin_object();
    w.member("path", f.path);
    w.member("layout", f.layout);
    w.member("statements", f.statements);
    w.member("syntax_errors", f.syntax_errors);
    w.end_object();
  }
  w.end_array();
  w.key("statements").begin_array();
  statements(w);
  w.end_array();
  w.key("findings").begin_array();
  findings(w);
  w.end_array();
  w.key("summary").begin_object();
  w.member("files", r.files.size());
  w.member("statements", r.statement_count());
  w.member("findings", r.finding_count());
  w.member("errors", r.count(Severity::Error));
  w.member("warnings", r.count(Severity::Warning));
  w.member("hints", r.count(Severity::Hint));
  w.member("fail_on", severity_name(o.fail_on));
  w.member("failed", r.fails(o.fail_on));
  w.end_object();
  w.end_object();
}

}  // namespace

// The report's arrays in spills (a named namespace: JsonStream::Arrays holds them).
namespace json_spill {

// Bytes written now and copied to the output at the end: an unlinked temporary file in $TMPDIR
// (so a large report is not held in memory), or memory when no temporary file can be made.
class Spill final : public std::streambuf {
 public:
  Spill() {
    const char* dir = std::getenv("TMPDIR");
    std::string path = std::string(dir && *dir ? dir : "/tmp") + "/pgstage-report-XXXXXX";
    int fd = mkstemp(path.data());
    if (fd < 0) return;
    unlink(path.c_str());
    file_ = fdopen(fd, "w+b");
    if (!file_) close(fd);
  }
  ~Spill() override {
    if (file_) std::fclose(file_);
  }
  Spill(const Spill&) = delete;
  Spill& operator=(const Spill&) = delete;

  // Appends what was written to `out`. False with `err` when the temporary file failed.
  bool copy_to(std::ostream& out, std::string& err) {
    if (!file_) {
      out.write(mem_.data(), std::streamsize(mem_.size()));
      return true;
    }
    if (failed_ || std::fflush(file_) != 0) {
      err = std::string("writing the report's temporary file failed: ") + std::strerror(errno ? errno : EIO) +
            " (set TMPDIR to a directory with free space)";
      return false;
    }
    int in = fileno(file_);
    off_t off = 0;
    if (&out == &std::cout) {
      // Kernel-side copy to standard output; falls back to read/write where sendfile cannot.
      out.flush();
      std::fflush(stdout);
      while (off < off_t(size_)) {
        ssize_t n = sendfile(STDOUT_FILENO, in, &off, size_ - size_t(off));
        if (n <= 0) break;
      }
    }
    std::vector<char> buf(1 << 20);
    while (off < off_t(size_)) {
      ssize_t n = pread(in, buf.data(), buf.size(), off);
      if (n <= 0) {
        err = std::string("reading the report's temporary file failed: ") + std::strerror(errno ? errno : EIO);
        return false;
      }
      out.write(buf.data(), n);
      off += n;
    }
    return true;
  }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (!file_)
      mem_.append(s, size_t(n));
    else if (std::fwrite(s, 1, size_t(n), file_) != size_t(n))
      failed_ = true;
    size_ += size_t(n);
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      char ch = traits_type::to_char_type(c);
      xsputn(&ch, 1);
    }
    return traits_type::not_eof(c);
  }

 private:
  std::FILE* file_ = nullptr;
  std::string mem_;
  size_t size_ = 0;
  bool failed_ = false;
};

// Elements of one of the report's arrays (two levels deep), rendered into a spill as they come.
struct SpilledArray {
  Spill spill;
  std::ostream stream{&spill};
  JsonWriter writer;
  size_t count = 0;
  explicit SpilledArray(int indent) : writer(stream, indent) { writer.nested_in(2); }
  bool splice_into(JsonWriter& w, std::ostream& out, std::string& err) {
    writer.flush();
    w.flush();
    if (!spill.copy_to(out, err)) return false;
    w.spliced(count > 0);
    return true;
  }
};

}  // namespace json_spill

struct JsonStream::Arrays {
  explicit Arrays(int indent) : statements(indent), findings(indent) {}
  json_spill::SpilledArray statements, findings;
};

JsonStream::JsonStream(int indent) : arrays_(std::make_unique<Arrays>(indent)) {}
JsonStream::~JsonStream() = default;

void JsonStream::reviewed(std::vector<StatementInfo>& statements, std::vector<Finding>& findings) {
  // Both arrays sit at the same depth, so a statement's lock JSON serves its findings too.
  size_t base = arrays_->statements.count;
  locks_.resize(statements.size());
  for (size_t i = 0; i < statements.size(); ++i) write_statement(arrays_->statements.writer, statements[i], &locks_[i]);
  for (auto& f : findings) {
    const std::string* lock_bytes = nullptr;
    if (f.statement_index >= 0 && size_t(f.statement_index) >= base &&
        size_t(f.statement_index) - base < statements.size()) {
      size_t i = size_t(f.statement_index) - base;
      if (same_lock_json(statements[i].lock, f.lock)) lock_bytes = &locks_[i];
    }
    write_finding(arrays_->findings.writer, f, lock_bytes);
  }
  arrays_->statements.count += statements.size();
  arrays_->findings.count += findings.size();
}

bool JsonStream::finish(const LintResult& r, const ReportOptions& o, std::ostream& out, std::string& err) {
  bool ok = true;
  JsonWriter w(out, o.json_indent);
  write_document(
      r, o, w, [&](JsonWriter& w) { ok = ok && arrays_->statements.splice_into(w, out, err); },
      [&](JsonWriter& w) { ok = ok && arrays_->findings.splice_into(w, out, err); });
  return ok;
}

void write_json(const LintResult& r, const ReportOptions& o, std::ostream& out) {
  JsonWriter w(out, o.json_indent);
  write_document(
      r, o, w,
      [&](JsonWriter& w) {
        for (auto& s : r.statements) write_statement(w, s);
      },
      [&](JsonWriter& w) {
        for (auto& f : r.findings) write_finding(w, f, nullptr, o.query_evidence);
      });
}

std::string render_json(const LintResult& r, const ReportOptions& o) {
  std::ostringstream s;
  write_json(r, o, s);
  return s.str();
}

}  // namespace pgstage::cli
