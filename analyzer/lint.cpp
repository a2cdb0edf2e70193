#include "analyzer/lint.h"

#include "analyzer/fingerprint.h"
#include "analyzer/history.h"
#include "analyzer/ignores.h"
#include "analyzer/no_migrations.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace fs = std::filesystem;

namespace pgstage {

// ---- helpers shared with rules ---------------------------------------------------------------

bool TxState::contains(const std::vector<QualifiedName>& v, const QualifiedName& t) {
  return std::any_of(v.begin(), v.end(), [&](const QualifiedName& x) { return Catalog::same(x, t); });
}

LockFacts StatementContext::lock_of(const Change& c) const { return lock_facts(c, settings.lock_context(&catalog)); }

int LintResult::count(Severity s) const {
  return int(streamed.by_severity[int(s)]) +
         int(std::count_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.severity == s; }));
}

bool LintResult::fails(Severity threshold) const {
  for (int s = int(threshold); s <= int(Severity::Error); ++s)
    if (streamed.by_severity[s]) return true;
  return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.severity >= threshold; });
}

const QualifiedName* column_change_table(const Change& c) {
  return std::visit(
      [](const auto& v) -> const QualifiedName* {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, CreateTable> || std::is_same_v<T, AddColumn> || std::is_same_v<T, DropColumn> ||
                      std::is_same_v<T, RenameColumn> || std::is_same_v<T, AlterColumnType> ||
                      std::is_same_v<T, SetNotNull> || std::is_same_v<T, DropNotNull> ||
                      std::is_same_v<T, SetDefault> || std::is_same_v<T, DropDefault>)
          return &v.table;
        else
          return nullptr;
      },
      c.value);
}

const std::vector<size_t>& FileView::column_changes_on(const std::string& table_key) const {
  if (!by_table_) {
    by_table_.emplace();
    for (size_t i = 0; i < lowered_.size(); ++i)
      for (auto& c : lowered_[i].changes)
        if (const QualifiedName* t = column_change_table(c)) {
          auto& v = (*by_table_)[Catalog::key(*t)];
          if (v.empty() || v.back() != i) v.push_back(i);
        }
  }
  static const std::vector<size_t> kNone;
  auto it = by_table_->find(table_key);
  return it == by_table_->end() ? kNone : it->second;
}

// ---- analysis --------------------------------------------------------------------------------

namespace {

bool is_ddl(const Change& c) {
  return !(c.is<Dml>() || c.is<TransactionControl>() || c.is<SetVariable>() || c.is<OtherStatement>());
}

// A file read, parsed and lowered by a worker, with what the reviewer needs per statement that
// does not depend on the catalog (so the in-order reviewer does less).
struct Prepared {
  SourceFile file;
  ParsedFile parsed;
  std::vector<LoweredStatement> lowered;
  std::vector<Position> starts, stops;  // per statement
};

void prepare(Prepared& p) {
  p.parsed = parse_source(p.file);
  size_t n = p.parsed.statements.size();
  p.lowered.reserve(n);
  p.starts.reserve(n);
  p.stops.reserve(n);
  for (auto& st : p.parsed.statements) {
    p.lowered.push_back(lower(st, p.file));
    const_cast<Statement&>(st).tree.reset();  // the typed Changes hold all we need
    p.starts.push_back(p.file.position(st.begin));
    p.stops.push_back(p.file.position(st.end));
  }
}

bool runner_wraps(const SourceFile& f, const LintSettings& s) {
  if (f.no_transaction_marker) return false;
  if (s.transaction == TxMode::PerFile) return true;
  if (s.transaction == TxMode::None) return false;
  return f.layout_wraps;
}

// Tracks the transaction a statement runs in.
class TxTracker {
 public:
  // `statements`: how many statements the file runs (a query of one statement is not a block).
  TxTracker(const SourceFile& f, const LintSettings& s, size_t statements) {
    state_.runner_wraps = runner_wraps(f, s);
    implicit_ = !state_.runner_wraps && f.sent_as_one_query && !f.no_transaction_marker &&
                s.transaction == TxMode::Auto && statements > 1;
    state_.implicit_block = implicit_;
    state_.in_transaction = state_.runner_wraps || implicit_;
  }
  const TxState& state() const { return state_; }

  // `catalog` is the schema after the statement ran.
  void after(const Statement& st, const LoweredStatement& ls, const LockFacts& lock, const Catalog& catalog) {
    bool was_in_tx = state_.in_transaction;
    bool work = false;
    for (auto& c : ls.changes) {
      if (auto* t = c.as<TransactionControl>()) {
        switch (t->kind) {
          case TxKind::Begin:
            if (state_.explicit_depth == 0) state_.open_begin_offset = int(st.begin);
            state_.explicit_depth++;
            // An implicit block becomes explicit: what ran before BEGIN is part of the transaction.
            if (!state_.explicit_block && !state_.runner_wraps && !state_.implicit_block) reset_tx();
            state_.explicit_block = true;
            state_.implicit_block = false;
            state_.in_transaction = true;
            break;
          case TxKind::Commit:
          case TxKind::Rollback:
          case TxKind::Prepare:
            state_.explicit_depth = 0;
            state_.open_begin_offset = -1;
            state_.explicit_block = false;
            // A COMMIT inside a runner-wrapped file ends the runner's transaction too. In a file sent
            // as one query, the statements after it form a new implicit block.
            state_.in_transaction = implicit_;
            state_.implicit_block = implicit_;
            state_.runner_wraps = false;
            reset_tx();
            break;
          default:
            break;
        }
        continue;
      }
      if (auto* v = c.as<SetVariable>()) {
        if (v->name == "lock_timeout") {
          bool zero = v->value.empty() || v->value == "0" || v->value == "0s" || v->value == "0ms";
          state_.lock_timeout_set = !v->reset && !zero;
          if (v->local) local_lock_timeout_ = true;
        }
        continue;
      }
      work = true;
      if (auto* a = c.as<AddConstraint>(); a && a->constraint.not_valid)
        state_.not_valid_constraints.emplace_back(a->table, a->constraint.name);
      if (auto* e = c.as<AlterEnumAddValue>()) {
        state_.enum_values_added.push_back(e->type);
        state_.enum_labels_added.emplace_back(e->type, e->value);
      }
      if (auto* d = c.as<Dml>(); d && state_.in_transaction && TxState::writes_rows(*d)) {
        if (TxState::contains(state_.ddl_tables, d->table) && !TxState::contains(state_.backfilled_tables, d->table))
          state_.backfilled_tables.push_back(d->table);
        if (!TxState::contains(state_.written_tables, d->table)) state_.written_tables.push_back(d->table);
      }
      if (is_ddl(c) && state_.in_transaction)
        for (auto& tl : lock_facts(c, LockContext{nullptr, 15}).tables)
          if (!TxState::contains(state_.ddl_tables, tl.table)) state_.ddl_tables.push_back(tl.table);
    }
    std::vector<QualifiedName> indexes;  // named by this statement (the catalog no longer has dropped ones)
    for (auto& c : ls.changes) {
      if (auto* di = c.as<DropIndex>()) indexes.insert(indexes.end(), di->names.begin(), di->names.end());
      if (auto* ri = c.as<Reindex>(); ri && ri->kind == "index") indexes.push_back(ri->name);
    }
    bool blocks_on_existing = false;
    for (auto& tl : lock.tables)
      if (blocks_writes(tl.mode) && !catalog.is_new(tl.table) && !catalog.index(tl.table) &&
          !TxState::contains(indexes, tl.table))
        blocks_on_existing = true;
    if (blocks_on_existing && !state_.lock_timeout_set) state_.unprotected_lock_statements++;
    // A statement that cannot run in a transaction block (CONCURRENTLY, VACUUM, ...) holds nothing
    // in it: either it fails there (concurrently-in-transaction says so) or the runner runs it on its
    // own (Flyway, a file of CONCURRENTLY statements only).
    if (state_.in_transaction && work && !lock.transactional) return;
    if (state_.in_transaction) {
      if (work && was_in_tx && holds_access_exclusive_on_existing(catalog)) state_.work_after_access_exclusive++;
      state_.statements_in_tx++;
      state_.strongest_held = std::max(state_.strongest_held, lock.mode);
      for (auto& tl : lock.tables) {
        // An index's own lock (DROP INDEX, REINDEX INDEX) is not a table that traffic waits on.
        if (tl.mode == LockMode::AccessExclusive && !TxState::contains(state_.access_exclusive_tables, tl.table) &&
            !catalog.index(tl.table) && !TxState::contains(indexes, tl.table))
          state_.access_exclusive_tables.push_back(tl.table);
        auto it = std::find_if(state_.held_locks.begin(), state_.held_locks.end(),
                               [&](const TableLock& h) { return Catalog::same(h.table, tl.table); });
        if (it == state_.held_locks.end())
          state_.held_locks.push_back(tl);
        else
          it->mode = std::max(it->mode, tl.mode);
      }
    } else {
      reset_tx();
    }
  }

 private:
  bool holds_access_exclusive_on_existing(const Catalog& catalog) const {
    return std::any_of(state_.access_exclusive_tables.begin(), state_.access_exclusive_tables.end(),
                       [&](const QualifiedName& t) { return !catalog.is_new(t); });
  }
  void reset_tx() {
    state_.statements_in_tx = 0;
    state_.strongest_held = LockMode::None;
    state_.ddl_tables.clear();
    state_.access_exclusive_tables.clear();
    state_.not_valid_constraints.clear();
    state_.enum_values_added.clear();
    state_.enum_labels_added.clear();
    state_.held_locks.clear();
    state_.backfilled_tables.clear();
    state_.written_tables.clear();
    state_.work_after_access_exclusive = 0;
    if (local_lock_timeout_) {
      state_.lock_timeout_set = false;
      local_lock_timeout_ = false;
    }
  }
  TxState state_;
  bool local_lock_timeout_ = false;
  bool implicit_ = false;  // the file is one multi-statement query
};

// Reports ignore comments that suppress nothing when the registry has no `unused-ignore` entry.
const Rule kUnusedIgnoreFallback{"unused-ignore",
                                 Category::Meta,
                                 Severity::Warning,
                                 true,
                                 "An ignore comment suppresses nothing",
                                 "",
                                 "",
                                 "",
                                 "",
                                 "",
                                 nullptr,
                                 nullptr};

// "about 1.2M rows, 96 MB" from a live database's reltuples and pg_total_relation_size.
std::string table_size_text(const CatalogTable& t) {
  auto human = [](double v, const char* const* units, double step) {
    int u = 0;
    while (v >= step && units[u + 1]) {
      v /= step;
      ++u;
    }
    char b[48];
    std::snprintf(b, sizeof b, v < 10 && u > 0 ? "%.1f%s" : "%.0f%s", v, units[u]);
    return std::string(b);
  };
  static const char* const kCount[] = {"", "K", "M", "B", nullptr};
  static const char* const kBytes[] = {" B", " kB", " MB", " GB", " TB", nullptr};
  std::string s = "about " + human(t.row_estimate.value_or(0), kCount, 1000) + " rows";
  if (t.total_bytes) s += ", " + human(*t.total_bytes, kBytes, 1024);
  return s;
}

Severity raise(Severity s) { return s == Severity::Hint ? Severity::Warning : Severity::Error; }

const Rule* find_rule(const std::vector<const Rule*>& rules, std::string_view id) {
  for (auto* r : rules)
    if (r->id == id) return r;
  return nullptr;
}

bool rule_enabled(const Rule& r, const LintOptions& o) {
  std::string id(r.id);
  if (o.disable.count(id)) return false;
  return r.enabled_by_default || o.enable.count(id);
}

struct PairHash {
  size_t operator()(const std::pair<std::string_view, std::string_view>& p) const {
    std::hash<std::string_view> h;
    return h(p.first) * 31 + h(p.second);
  }
};

class Linter {
 public:
  Linter(const std::vector<const Rule*>& rules, const LintOptions& opts, LintResult& out)
      : rules_(rules), opts_(opts), out_(out), owned_catalog_(std::make_shared<Catalog>()), catalog_(*owned_catalog_) {
    out.catalog = owned_catalog_;
    for (const Rule* r : rules) {
      if (!rule_enabled(*r, opts)) continue;
      if (r->check) statement_rules_.push_back(r);
      if (r->check_file_end) file_end_rules_.push_back(r);
    }
    if (opts.base_catalog) {
      catalog_ = *opts.base_catalog;
      schema_known_ = true;
    }
  }

  void history(Prepared& p) {
    for (size_t i = 0; i < p.parsed.statements.size(); ++i) {
      for (auto& c : p.lowered[i].changes) catalog_.apply(c, false);
    }
    schema_known_ = true;
  }

  void review(Prepared& p) {
    const SourceFile& f = p.file;
    FileSummary fs{f.path, 0, 0, std::string(layout_name(f.layout))};
    TxTracker tx(f, opts_.settings, p.parsed.statements.size());
    auto ignores = find_ignores(p.parsed, f);
    std::map<std::string, int> occurrences;
    // Findings of one rule on identical statement text, numbered so their fingerprints differ.
    struct Occurrences {
      int next = 0;
      std::optional<uint64_t> base;  // fingerprint_base(), hashed once for all of them
    };
    std::unordered_map<std::pair<std::string_view, std::string_view>, Occurrences, PairHash> statement_occurrences;
    size_t first_finding = out_.findings.size();
    LockContext lctx = opts_.settings.lock_context(&catalog_);
    FileView view(p.parsed.statements, p.lowered);
    FileAnalysis* fa = nullptr;
    if (opts_.keep_analysis) {
      fa = &out_.analyses.emplace_back();
      fa->catalog_before = std::make_shared<Catalog>(catalog_);
      fa->suppressed.resize(p.parsed.statements.size());
      fa->first_statement = out_.statement_count();
    }
    // Records a suppressed finding in the analysis (the planner stages nothing for it).
    auto suppressed = [&](const Rule& r, int stmt) {
      if (!suppress(ignores, r.id, stmt)) return false;
      if (fa && stmt >= 0) fa->suppressed[size_t(stmt)].emplace_back(r.id);
      return true;
    };

    for (size_t i = 0; i < p.parsed.statements.size(); ++i) {
      const Statement& st = p.parsed.statements[i];
      const LoweredStatement& ls = p.lowered[i];
      fs.statements++;
      if (st.error) fs.syntax_errors++;
      LockFacts lock = lock_facts(ls.changes, lctx);
      StatementInfo si;
      si.file = f.path;
      si.begin = st.begin;
      si.end = st.end;
      si.start = p.starts[i];
      si.stop = p.stops[i];
      si.kind = st.error ? "SyntaxError" : ls.kind;
      for (auto& c : ls.changes) si.changes.push_back(change_kind_name(c));
      si.lock = lock;
      si.in_transaction = tx.state().in_transaction;
      if (fa) {
        fa->locks.push_back(lock);
        fa->in_transaction.push_back(si.in_transaction);
      }
      si.syntax_error = st.error.has_value();
      int stmt_index = int(out_.statement_count());
      out_.statements.push_back(std::move(si));

      StatementContext ctx{f, st, int(i), ls, lock, catalog_, tx.state(), opts_.settings, schema_known_, view};
      std::string_view text(f.text.data() + st.begin, st.end - st.begin);
      for (const Rule* r : statement_rules_) {
        Reporter rep;
        r->check(ctx, rep);
        for (auto& rr : rep.reports()) {
          if (suppressed(*r, int(i))) continue;
          Finding fd = make_finding(*r, f, st.begin, st.end, std::move(rr), lock, &p.starts[i], &p.stops[i]);
          fd.statement_index = stmt_index;
          Occurrences& occ = statement_occurrences[{r->id, text}];
          if (!occ.base) occ.base = fingerprint_base(fd.rule, f.path, text);
          fd.fingerprint = hex_with_occurrence(*occ.base, occ.next++);
          adjust_for_size(fd);
          out_.findings.push_back(std::move(fd));
        }
      }
      for (auto& c : ls.changes) catalog_.apply(c, true);
      tx.after(st, ls, lock, catalog_);
    }

    FileEndContext ec{f, tx.state(), opts_.settings, fs.statements, &catalog_, &p.parsed.statements, &p.lowered};
    for (const Rule* r : file_end_rules_) {
      Reporter rep;
      r->check_file_end(ec, rep);
      for (auto& rr : rep.reports()) {
        size_t loc = rr.location >= 0 ? size_t(rr.location) : f.up_end;
        if (suppressed(*r, statement_at(p.parsed.statements, loc))) continue;
        Finding fd = make_finding(*r, f, loc, loc, std::move(rr), LockFacts{});
        fd.fingerprint = finding_fingerprint(fd.rule, f.path, "<end of file>", occurrences[fd.rule]++);
        out_.findings.push_back(std::move(fd));
      }
    }
    report_ignores(f, ignores, occurrences);
    std::stable_sort(out_.findings.begin() + long(first_finding), out_.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.begin < b.begin; });
    out_.files.push_back(std::move(fs));
    if (fa) {
      fa->findings.assign(out_.findings.begin() + long(first_finding), out_.findings.end());
      fa->catalog_after = std::make_shared<Catalog>(catalog_);
    }
    if (opts_.sink) {
      out_.streamed.statements += out_.statements.size();
      out_.streamed.findings += out_.findings.size();
      for (auto& fd : out_.findings) out_.streamed.by_severity[int(fd.severity)]++;
      opts_.sink->reviewed(out_.statements, out_.findings);
      out_.statements.clear();
      out_.findings.clear();
    }
    if (opts_.keep_sources || fa) {
      std::string path = f.path;
      auto kept = std::make_shared<SourceFile>(std::move(p.file));
      if (opts_.keep_sources) out_.sources[path] = kept;
      if (fa) {
        fa->file = std::move(kept);
        fa->statements = std::move(p.parsed.statements);
        fa->comments = std::move(p.parsed.comments);
        fa->lowered = std::move(p.lowered);
      }
    }
    if (!opts_.one_change_set) catalog_.mark_all_existing();
    schema_known_ = true;
  }

 private:
  void report_ignores(const SourceFile& f, std::vector<Ignore>& ignores, std::map<std::string, int>& occ) {
    const Rule* unused = find_rule(rules_, "unused-ignore");
    if (!unused) unused = &kUnusedIgnoreFallback;
    bool report_unused = rule_enabled(*unused, opts_);
    // `-- pgstage:ignore-file unused-ignore` silences the unused-ignore findings of the file.
    for (auto& ig : ignores)
      if (ig.whole_file)
        for (size_t k = 0; k < ig.rules.size(); ++k)
          if (ig.rules[k] == unused->id) {
            ig.used[k]++;
            report_unused = false;
          }
    for (auto& ig : ignores) {
      // Malformed comments are errors whatever the configuration: they silently ignore nothing.
      std::vector<std::pair<std::string, Severity>> problems;
      if (!ig.bad_directive.empty())
        problems.emplace_back("unknown directive `" + ig.bad_directive +
                                  "`; write `pgstage:ignore RULE` (next statement) or `pgstage:ignore-file RULE`",
                              Severity::Error);
      else if (ig.bare)
        problems.emplace_back(
            std::string(ig.whole_file ? "`pgstage:ignore-file`" : "`pgstage:ignore`") +
                " names no rule; say which rule you mean, e.g. `-- pgstage:ignore renaming-column -- reason`",
            Severity::Error);
      for (size_t k = 0; k < ig.rules.size() && report_unused; ++k) {
        const std::string& id = ig.rules[k];
        const Rule* named = id == "all" ? nullptr : find_rule(rules_, id);
        if (id != "all" && !named)
          problems.emplace_back(
              "unknown rule `" + id + "` in ignore comment (see `pgstage rules`; separate a reason with ` -- `)",
              unused->severity);
        else if (ig.used[k] == 0 && (!named || rule_enabled(*named, opts_)) && id != unused->id)
          problems.emplace_back("ignore comment for `" + id + "` suppressed nothing" +
                                    (!ig.whole_file && ig.target_statement < 0 ? " (no statement follows it)" : "") +
                                    "; remove it",
                                unused->severity);
      }
      for (auto& [msg, sev] : problems) {
        Reporter::Report rr{msg, "Delete the comment, or fix the rule id it names.", int(ig.comment_begin), sev, {}};
        Finding fd = make_finding(*unused, f, ig.comment_begin, ig.comment_begin, std::move(rr), LockFacts{});
        auto eol = f.text.find('\n', ig.comment_begin);
        fd.end = std::min(ig.comment_end, eol == std::string::npos ? f.text.size() : eol);
        if (fd.end > fd.begin && f.text[fd.end - 1] == '\r') --fd.end;
        fd.stop = f.position(fd.end);
        fd.fingerprint = finding_fingerprint(fd.rule, f.path, msg, occ[fd.rule + msg]++);
        out_.findings.push_back(std::move(fd));
      }
    }
  }

  // `at_begin`/`at_end`: the positions of `begin`/`end` when known (saves recomputing them).
  Finding make_finding(const Rule& r, const SourceFile& f, size_t begin, size_t end, Reporter::Report&& rr,
                       const LockFacts& lock, const Position* at_begin = nullptr, const Position* at_end = nullptr) {
    Finding fd;
    fd.rule = std::string(r.id);
    fd.category = r.category;
    fd.severity = rr.severity.value_or(r.severity);
    if (auto it = opts_.severity.find(fd.rule); it != opts_.severity.end() && !rr.severity)
      fd.severity = it->second;
    else if (it != opts_.severity.end() && rr.severity && *rr.severity == r.severity)
      fd.severity = it->second;
    fd.file = f.path;
    fd.begin =
        rr.location >= 0 && size_t(rr.location) >= begin && size_t(rr.location) <= end ? size_t(rr.location) : begin;
    if (rr.location >= 0 && (size_t(rr.location) < begin || size_t(rr.location) > end)) fd.begin = size_t(rr.location);
    fd.end = std::max(end, fd.begin);
    fd.start = at_begin && fd.begin == begin ? *at_begin : f.position(fd.begin);
    fd.stop = at_end && fd.end == end ? *at_end : f.position(fd.end);
    fd.message = std::move(rr.message);
    fd.help = std::move(rr.help);
    fd.lock = rr.lock ? std::move(*rr.lock) : lock;
    fd.plannable = opts_.plannable && opts_.plannable(r.id);
    return fd;
  }

  void adjust_for_size(Finding& fd) {
    if (fd.category == Category::Meta || fd.category == Category::Style) return;
    for (auto& tl : fd.lock.tables) {
      bool large = opts_.large_tables.count(tl.table.name) || opts_.large_tables.count(tl.table.str()) ||
                   opts_.large_tables.count(Catalog::key(tl.table)) ||
                   (tl.table.schema.empty() && opts_.large_tables.count("public." + tl.table.name));
      const CatalogTable* t = catalog_.table(tl.table);
      bool by_size = t && t->row_estimate && *t->row_estimate >= opts_.large_table_rows;
      if (large || by_size) {
        if (fd.severity != Severity::Error) {
          fd.severity = raise(fd.severity);
          fd.message += " (raised: `" + display_name(tl.table) + "` is a large table" +
                        (by_size ? ": " + table_size_text(*t) : std::string()) + ")";
        }
        return;
      }
    }
  }

  const std::vector<const Rule*>& rules_;
  std::vector<const Rule*> statement_rules_, file_end_rules_;  // enabled rules with that check
  const LintOptions& opts_;
  LintResult& out_;
  std::shared_ptr<Catalog> owned_catalog_;  // handed to the result
  Catalog& catalog_;
  bool schema_known_ = false;
};

struct Job {
  Prepared prepared;
  bool review = false;
  bool ok = false;        // the file was read (or is stdin text)
  std::string load_path;  // read by a worker when non-empty
  Layout load_layout = Layout::Auto;
  std::string error;  // why the file could not be read
};

// Queues `path` to be read by a worker (reading is part of the parallel work).
bool load(const std::string& path, Layout layout, Job& job, LintResult&) {
  job.load_path = path;
  job.load_layout = layout;
  return true;
}

void read_and_prepare(Job& j) {
  if (!j.load_path.empty()) {
    j.ok = read_source(j.load_path, j.load_layout, j.prepared.file, j.error);
    j.load_path.clear();
  }
  if (j.ok) prepare(j.prepared);
}

// Adds the history paths (files, or directories in migration order) as history jobs.
// Files of a listed directory that the layout's runner ignores: a warning each, nothing linted.
void warn_ignored(const std::vector<IgnoredMigration>& ignored, LintResult& out) {
  for (auto& i : ignored) out.warnings.push_back(i.path + ": " + i.reason);
}

void add_history(const std::string& path, const LintOptions& opts, std::vector<Job>& jobs, LintResult& out) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<MigrationEntry> entries;
    std::vector<IgnoredMigration> ignored;
    std::string err;
    if (!list_migrations(path, opts.layout, opts.exclude, entries, err, &ignored)) {
      out.errors.push_back(err);
      return;
    }
    warn_ignored(ignored, out);
    if (entries.empty()) {
      out.errors.push_back(no_migrations_message(path, opts.layout, !opts.exclude.empty()));
      return;
    }
    for (auto& e : entries) {
      Job j;
      if (load(e.path, e.layout, j, out)) jobs.push_back(std::move(j));
    }
  } else {
    Job j;
    if (load(path, opts.layout, j, out)) jobs.push_back(std::move(j));
  }
}

}  // namespace

void Catalog::mark_all_existing() {
  // Only what put_table/put_index/put_object or an in-review apply() touched can be new.
  for (auto& k : review_tables_)
    if (auto it = tables_.find(k); it != tables_.end()) {
      auto& t = it->second;
      t.created_in_review = false;
      for (auto& c : t.columns) c.created_in_review = false;
      for (auto& c : t.constraints) c.created_in_review = false;
    }
  for (auto& k : review_indexes_)
    if (auto it = indexes_.find(k); it != indexes_.end()) it->second.created_in_review = false;
  for (auto& k : review_objects_)
    if (auto it = objects_.find(k); it != objects_.end()) it->second.created_in_review = false;
  review_tables_.clear();
  review_indexes_.clear();
  review_objects_.clear();
}

void replay_into(Catalog& catalog, const SourceFile& file, const LintSettings&) {
  ParsedFile pf = parse_source(file);
  for (auto& st : pf.statements)
    for (auto& c : lower(st, file).changes) catalog.apply(c, false);
}

std::vector<AnalyzedStatement> analyze_file(const SourceFile& file, Catalog& catalog, const LintSettings& settings,
                                            bool in_review) {
  std::vector<AnalyzedStatement> out;
  ParsedFile pf = parse_source(file);
  LockContext lctx = settings.lock_context(&catalog);
  for (auto& st : pf.statements) {
    AnalyzedStatement a{st, lower(st, file), {}};
    a.lock = lock_facts(a.lowered.changes, lctx);
    for (auto& c : a.lowered.changes) catalog.apply(c, in_review);
    out.push_back(std::move(a));
  }
  return out;
}

LintResult run_lint(const std::vector<LintInput>& inputs, const std::vector<const Rule*>& rules,
                    const LintOptions& opts) {
  LintResult out;
  out.pg_version = opts.settings.pg_version;
  std::vector<Job> jobs;
  for (auto& h : opts.history) add_history(h, opts, jobs, out);

  // Expand inputs: a directory is every migration in order; a file brings the migrations before
  // it in its directory as history (unless --no-history).
  // Canonical paths already queued as review. A directory's files are canonicalised only when a
  // later input needs the set (weakly_canonical costs several system calls per path).
  std::set<std::string> queued;
  std::vector<std::string> queued_pending;
  auto is_queued = [&](const std::string& canon) {
    for (auto& p : queued_pending) queued.insert(canonical_path(p));
    queued_pending.clear();
    return queued.count(canon) > 0;
  };
  std::set<std::string> history_seen;
  for (auto& in : inputs) {
    if (in.is_stdin) {
      Job j;
      j.prepared.file = make_source(in.path.empty() ? "<stdin>" : in.path, in.stdin_text, opts.layout);
      j.ok = true;
      j.review = !in.history;
      jobs.push_back(std::move(j));
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(in.path, ec)) {
      std::vector<MigrationEntry> entries;
      std::vector<IgnoredMigration> ignored;
      std::string err;
      if (!list_migrations(in.path, opts.layout, opts.exclude, entries, err, &ignored)) {
        out.errors.push_back(err);
        continue;
      }
      warn_ignored(ignored, out);
      if (entries.empty()) {
        out.errors.push_back(no_migrations_message(in.path, opts.layout, !opts.exclude.empty()));
        continue;
      }
      for (auto& e : entries) {
        Job j;
        if (!load(e.path, e.layout, j, out)) continue;
        j.review = true;
        queued_pending.push_back(e.path);
        jobs.push_back(std::move(j));
      }
      continue;
    }
    if (!fs::exists(in.path, ec)) {
      out.errors.push_back(in.path + ": " + (ec ? ec.message() : std::string("no such file or directory")));
      continue;
    }
    std::string canon = canonical_path(in.path);
    if (is_queued(canon)) continue;
    Layout layout = in.layout != Layout::Auto ? in.layout : opts.layout;
    // A file named on the command line that Flyway would never run (its directory is a Flyway one).
    if (std::string why = flyway_ignored_reason(fs::path(in.path).filename().string()); !why.empty() && !in.history) {
      Layout dir_layout = layout;
      if (dir_layout == Layout::Auto) dir_layout = detect_layout(migration_directory(in.path));
      if (dir_layout == Layout::Flyway) {
        out.warnings.push_back(in.path + ": " + why);
        continue;
      }
    }
    if (in.history) {
      Job j;
      if (load(in.path, layout, j, out)) {
        history_seen.insert(canon);
        jobs.push_back(std::move(j));
      }
      continue;
    }
    if (!opts.no_history) {
      EarlierMigrations earlier = migrations_before(in.path, canon, opts.layout, opts.exclude);
      if (earlier.found) layout = earlier.layout;
      for (size_t k = 0; k < earlier.before.size(); ++k) {
        const std::string& ce = earlier.canonical[k];
        if (is_queued(ce) || history_seen.count(ce)) continue;
        Job j;
        if (load(earlier.before[k].path, earlier.before[k].layout, j, out)) {
          history_seen.insert(ce);
          jobs.push_back(std::move(j));
        }
      }
    }
    Job j;
    if (!load(in.path, layout, j, out)) continue;
    j.review = true;
    queued.insert(canon);
    jobs.push_back(std::move(j));
  }

  Linter linter(rules, opts, out);
  auto consume = [&](Job& j) {
    if (!j.error.empty()) out.errors.push_back(std::move(j.error));
    if (j.ok) {
      if (j.review)
        linter.review(j.prepared);
      else
        linter.history(j.prepared);
    }
    j.prepared = Prepared{};  // free the file's statements as soon as it is reviewed
  };
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  size_t threads = std::min(opts.jobs > 0 ? size_t(opts.jobs) : size_t(hw), jobs.size());
  if (threads <= 1) {
    for (auto& j : jobs) {
      read_and_prepare(j);
      consume(j);
    }
    return out;
  }
  // Workers read, parse and lower files ahead of the reviewer (this thread), which must see files
  // in order (the catalog carries each file's changes to the next). A window bounds how far they
  // run ahead, so memory holds a few hundred prepared files, not the whole input. The reviewer is
  // one of the `threads`: when the next file is not ready it prepares files itself instead of
  // waiting (one thread per core; a worker per core besides it measured ~10% slower).
  const size_t window = 64 * threads;
  std::mutex mu;
  std::condition_variable cv_work, cv_done;
  std::vector<char> done(jobs.size(), 0);
  size_t next = 0, reviewed = 0;
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::unique_lock lk(mu);
        cv_work.wait(lk, [&] { return next >= jobs.size() || next < reviewed + window; });
        if (next >= jobs.size()) return;
        i = next++;
      }
      read_and_prepare(jobs[i]);
      {
        std::lock_guard lk(mu);
        done[i] = 1;
      }
      cv_done.notify_one();
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t + 1 < threads; ++t) pool.emplace_back(worker);
  for (size_t k = 0; k < jobs.size(); ++k) {
    {
      std::unique_lock lk(mu);
      while (!done[k] && next < jobs.size() && next < reviewed + window) {
        size_t i = next++;
        lk.unlock();
        read_and_prepare(jobs[i]);
        lk.lock();
        done[i] = 1;
      }
      cv_done.wait(lk, [&] { return done[k] != 0; });
    }
    consume(jobs[k]);
    {
      std::lock_guard lk(mu);
      reviewed = k + 1;
    }
    cv_work.notify_all();
  }
  for (auto& th : pool) th.join();
  return out;
}

}  // namespace pgstage
