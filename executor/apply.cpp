#include "executor/apply.h"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <algorithm>
#include <set>

#include "analyzer/lower.h"
#include "analyzer/no_migrations.h"
#include "analyzer/parse.h"
#include "analyzer/rule_api.h"
#include "db/redact.h"
#include "executor/backfill.h"
#include "executor/runner.h"
#include "executor/sha256.h"

namespace pgstage::executor {

namespace fs = std::filesystem;

namespace {

struct Migration : MigrationFile {
  const MigrationState* recorded = nullptr;
};

struct PendingRun {
  const Migration* m = nullptr;
  std::vector<ExecStep> steps;
  bool resumed = false;
  bool as_written = true;
  std::optional<planner::Plan> plan;  // a new planned migration: the plan (verified before anything runs)
};

// The migration as written: one transaction for the whole file, or, when it holds statements that
// cannot run in a transaction block (or says so), one step per statement. BEGIN/COMMIT written in
// the file are dropped: each step already runs in its own transaction.
std::vector<ExecStep> as_written_steps(const Migration& m, const FileAnalysis& fa) {
  struct Piece {
    std::string sql;
    bool own_session;
  };
  std::vector<Piece> pieces;
  bool any_own = fa.file->no_transaction_marker;
  for (size_t i = 0; i < fa.statements.size(); ++i) {
    bool tx_control = false;
    for (auto& c : fa.lowered[i].changes) tx_control = tx_control || c.is<TransactionControl>();
    if (tx_control) continue;
    // What may run in a transaction block is decided once, in the lock facts.
    bool own = !fa.locks[i].transactional;
    any_own = any_own || own;
    pieces.push_back({fa.statements[i].text(*fa.file), own});
  }
  std::vector<ExecStep> steps;
  auto add = [&](std::string sql, bool transactional) {
    ExecStep s;
    s.migration = m.name;
    s.ord = static_cast<int>(steps.size());
    s.id = "as-written-" + std::to_string(s.ord + 1);
    s.kind = "as-written";
    s.sql = std::move(sql);
    s.transactional = transactional;
    steps.push_back(std::move(s));
  };
  if (!any_own) {
    std::string all;
    for (auto& p : pieces) all += p.sql + ";\n";
    if (!pieces.empty()) add(all, true);
  } else {
    for (auto& p : pieces) add(p.sql, !p.own_session);
  }
  return steps;
}

std::vector<ExecStep> plan_steps(const Migration& m, const planner::Plan& plan) {
  std::vector<ExecStep> steps;
  for (auto& ps : plan.steps) {
    ExecStep s;
    s.migration = m.name;
    s.id = ps.id;
    s.ord = static_cast<int>(steps.size());
    s.phase = ps.phase;
    s.kind = ps.kind;
    s.sql = ps.sql;
    s.transactional = ps.transactional;
    s.backfill = ps.backfill;
    steps.push_back(std::move(s));
  }
  return steps;
}

std::string where(const Finding& f) {
  return f.file + ":" + std::to_string(f.start.line) + ":" + std::to_string(f.start.column);
}

class Apply {
 public:
  explicit Apply(const ApplyRequest& req) : req_(req), out_(req.out, req.database_url, req.tty) {
    out_.set_log_interval(req.settings.progress_log_interval);
  }

  ApplyResult run() {
    if (req_.release.empty()) return usage("--release is required: name the application release this apply prepares");
    if (!load_files()) return res_;
    if (auto r = conn_.open(req_.database_url); !r.ok) return fail(r.error);
    if (!req_.dry_run) {
      if (auto r = acquire_apply_lock(conn_, req_.wait_lock_seconds); !r.ok) return fail(r.error);
    }
    if (!refuse_unbaselined()) return res_;
    if (auto r = ensure_state_schema(conn_, !req_.dry_run); !r.ok) return fail(r.error);
    if (auto r = load_state(conn_, state_); !r.ok) return fail(r.error);
    if (!refuse_older_release()) return res_;
    for (auto& m : files_) m.recorded = state_.migration(m.name);
    if (!verify_checksums()) return res_;
    if (!decide_pending()) return res_;

    std::unique_ptr<StepRunner> runner;
    if (req_.dry_run) {
      out_.line("dry run: nothing below is executed or recorded");
      runner = std::make_unique<DryRunStepRunner>(req_.settings, out_);
    } else {
      runner = std::make_unique<PgStepRunner>(conn_, req_.settings, out_);
    }
    if (auto r = runner->record_release(req_.release); !r.ok) return fail(r.error);
    if (!run_contracts(*runner)) return res_;
    if (!run_pending(*runner)) return res_;
    if (pending_.empty() && res_.contracted.empty()) out_.line("nothing to apply: every migration has run");
    return res_;
  }

 private:
  // Apply moves forward only: a release first deployed before the one serving now may not
  // survive the contracts that ran since, and apply would run more of them.
  bool refuse_older_release() {
    const ReleaseState* r = state_.release(req_.release);
    const ReleaseState* sv = state_.serving();
    if (!r || !r->deployed || !sv || sv->name == r->name || r->deployed_at >= sv->deployed_at) return true;
    fail("release " + req_.release + " was deployed before " + sv->name +
         ", which is serving now: apply only moves forward and would run contracts written for later releases; "
         "nothing was run. To go back to " +
         req_.release + ", run `pgstage rollback --to " + req_.release + "`");
    return false;
  }

  ApplyResult usage(const std::string& msg) {
    res_.exit_code = 2;
    res_.error = db::redact_secrets(msg, req_.database_url);
    return res_;
  }
  ApplyResult fail(const std::string& msg) {
    res_.exit_code = 1;
    res_.error = db::redact_secrets(msg, req_.database_url);
    return res_;
  }

  bool load_files() {
    std::vector<MigrationFile> loaded;
    std::string err;
    if (!load_migration_files(req_.migrations_dir, req_.lint.layout, req_.lint.exclude, loaded, err)) {
      usage(err);
      return false;
    }
    for (auto& f : loaded) files_.push_back(Migration{std::move(f), nullptr});
    return true;
  }

  // A database whose objects came from migrations run before pgstage (it has no pgstage state):
  // running them again would fail half-way. Refused before anything is written, pointing at baseline.
  bool refuse_unbaselined() {
    State pre;
    if (auto r = load_state(conn_, pre); !r.ok) return fail(r.error), false;
    if (pre.exists && !pre.migrations.empty()) return true;
    std::vector<std::string> clashes;
    size_t total = 0;
    try {
      pqxx::read_transaction tx(conn_.raw());
      // A name the migrations drop (or rename away) before creating it again says nothing.
      std::set<std::string> freed;
      auto key = [](const QualifiedName& n) { return n.name; };
      for (auto& m : files_) {
        ParsedFile parsed = parse_source(m.file);
        for (auto& st : parsed.statements)
          for (auto& c : lower(st, m.file).changes) {
            if (auto* d = c.as<DropTable>())
              for (auto& n : d->tables) freed.insert(key(n));
            if (auto* d = c.as<DropIndex>())
              for (auto& n : d->names) freed.insert(key(n));
            if (auto* d = c.as<DropObject>())
              for (auto& n : d->names) freed.insert(key(n));
            if (auto* r = c.as<RenameTable>()) freed.insert(key(r->table));
            if (auto* r = c.as<RenameObject>()) freed.insert(key(r->name));
            const char* what = nullptr;
            const char* reg = "to_regclass";
            QualifiedName n;
            if (auto* ct = c.as<CreateTable>(); ct && !ct->if_not_exists)
              what = "table", n = ct->table;
            else if (auto* ci = c.as<CreateIndex>(); ci && !ci->if_not_exists && !ci->name.empty())
              what = "index", n = QualifiedName{ci->table.schema, ci->name};
            else if (auto* cv = c.as<CreateView>(); cv && !cv->or_replace)
              what = "view", n = cv->name;
            else if (auto* ce = c.as<CreateEnum>())
              what = "type", n = ce->name, reg = "to_regtype";
            if (!what || freed.count(key(n))) continue;
            if (!tx.exec1(std::string("SELECT ") + reg + "(" + tx.quote(quote_name(n)) + ") IS NOT NULL")[0].as<bool>())
              continue;
            if (++total <= 3) clashes.push_back(m.name + " creates " + what + " " + n.str());
          }
      }
    } catch (...) {
      return fail(current_exception_result("cannot read the database's schema").error), false;
    }
    if (total == 0) return true;
    std::string list;
    for (auto& c : clashes) list += (list.empty() ? "" : "; ") + c;
    if (total > clashes.size()) list += "; and " + std::to_string(total - clashes.size()) + " more";
    fail("this database has no pgstage state, but what its migrations create is already there (" + list +
         "): they ran before pgstage. Nothing was run. Record them without running them with `pgstage baseline " +
         req_.migrations_dir +
         " --database-url URL --up-to LAST_APPLIED_FILE` (add --verify to compare the "
         "schema), then apply again");
    return false;
  }

  bool verify_checksums() {
    for (auto& m : files_) {
      if (m.recorded && m.recorded->checksum != m.checksum) {
        fail(m.file.path + ": migration " + m.name + " changed since it was applied (recorded " + m.recorded->checksum +
             ", file now " + m.checksum + "); restore the file and put the change in a new migration");
        return false;
      }
    }
    return true;
  }

  // Lints and plans every pending migration before anything runs, so a refusal runs nothing. The
  // directory is analysed once: recorded migrations are its history, pending ones are reviewed.
  bool decide_pending() {
    LintOptions lo = req_.lint;
    lo.settings.runner = Runner::Pgstage;
    lo.no_history = true;
    lo.keep_sources = false;
    lo.keep_analysis = true;
    lo.plannable = planner::has_recipe;
    std::vector<LintInput> inputs;
    bool any_new = false;
    for (auto& m : files_) {
      LintInput in;
      in.path = m.file.path;
      in.history = m.recorded != nullptr;
      in.layout = m.layout;
      inputs.push_back(std::move(in));
      any_new = any_new || !m.recorded;
    }
    LintResult lint;
    if (any_new) {
      lint = run_lint(inputs, req_.rules, lo);
      if (!lint.errors.empty()) {
        usage(lint.errors.front());
        return false;
      }
    }
    size_t next_analysis = 0;
    for (auto& m : files_) {
      if (m.recorded) {
        if (m.recorded->status == "running") {
          PendingRun p{&m, {}, true, true};
          for (auto& ss : state_.steps[m.name]) {
            p.steps.push_back(ss.step);
            if (ss.step.kind != "as-written") p.as_written = false;
          }
          pending_.push_back(std::move(p));
        }
        continue;
      }
      if (next_analysis >= lint.analyses.size()) {
        usage(m.file.path + ": not analysed (was it given twice?)");
        return false;
      }
      const FileAnalysis& fa = lint.analyses[next_analysis++];
      std::vector<const Finding*> unsafe;
      for (auto& f : fa.findings)
        if (f.severity == Severity::Error) unsafe.push_back(&f);
      bool stage = !unsafe.empty() || req_.plan_every_file;
      if (!stage && req_.stage_warnings)
        stage = std::any_of(fa.findings.begin(), fa.findings.end(),
                            [](const Finding& f) { return f.severity == Severity::Warning && f.plannable; });
      if (!stage) {
        pending_.push_back(PendingRun{&m, as_written_steps(m, fa), false, true});
        continue;
      }
      std::set<std::pair<std::string, size_t>> reported;
      bool refused = false;
      for (auto* f : unsafe) {
        reported.insert({f->rule, f->begin});
        if (!f->plannable) {
          res_.refused.push_back(where(*f) + ": " + f->rule + ": " + f->message + " (no recipe stages it)");
          refused = true;
        }
      }
      if (refused || !req_.plan) {
        if (!req_.plan && !refused) res_.refused.push_back(m.file.path + ": unsafe, and no planner is available");
        continue;
      }
      planner::PlanOptions po;
      po.settings = lo.settings;
      planner::PlanResult pr = req_.plan(fa, po);
      if (!pr.ok) {
        res_.refused.push_back(pr.error.empty() ? m.file.path + ": no plan could be made" : pr.error);
        continue;
      }
      for (auto& f : pr.unplannable)
        if (reported.count({f.rule, f.begin}))
          res_.refused.push_back(where(f) + ": " + f.rule + ": " + f.message + " (no recipe stages it)");
      pending_.push_back(PendingRun{&m, plan_steps(m, pr.plan), false, false, pr.plan});
    }
    if (!res_.refused.empty()) {
      fail("refused: " + std::to_string(res_.refused.size()) +
           " unsafe finding(s) have no recipe; nothing was run. Rewrite the statement, or add "
           "`-- pgstage:ignore <rule> -- <reason>` above it to run it as written");
      return false;
    }
    return verify_plans();
  }

  // Every new plan is proven on a throwaway database before the first statement runs.
  bool verify_plans() {
    if (!req_.verify || req_.dry_run) return true;
    for (auto& p : pending_) {
      if (!p.plan) continue;
      VerifyTarget t;
      t.migration = p.m;
      t.plan = &*p.plan;
      for (auto& m : files_) {
        if (&m == p.m) break;
        t.before.push_back(&m);
      }
      out_.line("verify " + p.m->name + " (the migration as written and its plan, on a throwaway database)");
      std::string why = req_.verify(t);
      if (!why.empty()) {
        fail(p.m->name + ": the plan is not verified, nothing was run: " + why +
             " (apply --no-verify skips the verification)");
        return false;
      }
    }
    return true;
  }

  bool run_steps(StepRunner& runner, const std::string& migration, const std::vector<ExecStep>& steps) {
    std::map<std::string, const StepState*> status;
    for (auto& ss : state_.steps[migration]) status[ss.step.id] = &ss;
    for (auto& s : steps) {
      auto it = status.find(s.id);
      const StepState* prior = it == status.end() ? nullptr : it->second;
      if (prior && prior->status == "done") {
        out_.line("  skip " + phase_str(s.phase) + " step " + s.id + " (done in an earlier run)");
        continue;
      }
      if (!req_.dry_run) out_.line("  " + phase_str(s.phase) + " step " + s.id + " (" + s.kind + ")");
      DbResult r = s.backfill ? runner.run_backfill(s, state_.backfill(migration, s.id))
                              : runner.run_step(s, prior && prior->status == "running");
      if (!r.ok) {
        fail(migration + ": " + r.error +
             "; the run stopped here, earlier steps stay applied and the next apply resumes");
        return false;
      }
    }
    return true;
  }

  bool run_contracts(StepRunner& runner) {
    for (auto& m : files_) {
      if (!m.recorded || (m.recorded->status != "expanded" && m.recorded->status != "contracting")) continue;
      if (std::string w = contract_wait(state_, *m.recorded); !w.empty()) {
        w = m.name + ": " + w;
        out_.line(w);
        res_.waiting.push_back(w);
        continue;
      }
      const ReleaseState* sv = state_.serving();
      out_.line("contract " + m.name +
                (m.recorded->status == "contracting"
                     ? std::string(" (resumed)")
                     : " (release " + (sv ? sv->name : std::string("?")) + ", deployed after its expand, is serving)"));
      std::vector<ExecStep> steps;
      for (auto& ss : state_.steps[m.name])
        if (ss.step.phase == planner::Phase::Contract) steps.push_back(ss.step);
      if (req_.contract_gate && !req_.dry_run && m.recorded->status != "contracting") {
        std::vector<std::string> sql;
        for (auto& st : steps)
          if (!st.sql.empty()) sql.push_back(st.sql);
        if (std::string why = req_.contract_gate(m.name, sql); !why.empty())
          return fail("contract of " + m.name + " refused: " + why), false;
      }
      if (auto r = runner.set_migration_status(m.name, "contracting"); !r.ok) return fail(r.error), false;
      if (!run_steps(runner, m.name, steps)) return false;
      if (auto r = runner.set_migration_status(m.name, "complete"); !r.ok) return fail(r.error), false;
      res_.contracted.push_back(m.name);
    }
    return true;
  }

  bool run_pending(StepRunner& runner) {
    for (auto& p : pending_) {
      const Migration& m = *p.m;
      bool has_contract = false;
      for (auto& s : p.steps) has_contract = has_contract || s.phase == planner::Phase::Contract;
      out_.line((p.resumed ? "resume " : "apply ") + m.name +
                (p.as_written ? " (as written)"
                 : has_contract
                     ? " (expand and backfill; contract once a release deployed after it is the only one running)"
                     : " (staged)"));
      if (!p.resumed) {
        if (auto r = runner.begin_migration(MigrationState{m.name, m.checksum, req_.release, "running"}, p.steps);
            !r.ok)
          return fail(r.error), false;
      }
      std::vector<ExecStep> now;
      for (auto& s : p.steps)
        if (s.phase != planner::Phase::Contract) now.push_back(s);
      if (!run_steps(runner, m.name, now)) return false;
      if (auto r = runner.set_migration_status(m.name, has_contract ? "expanded" : "applied"); !r.ok)
        return fail(r.error), false;
      if (has_contract) {
        std::string release = p.m->recorded ? p.m->recorded->release : req_.release;
        res_.expanded.push_back(m.name);
        res_.waiting.push_back(m.name +
                               ": contract waits until a release deployed after its expand (applied with "
                               "release " +
                               release + ") is the only one running");
      } else {
        res_.ran.push_back(m.name);
      }
    }
    return true;
  }

  const ApplyRequest& req_;
  Output out_;
  ApplyResult res_;
  Connection conn_;
  State state_;
  std::vector<Migration> files_;
  std::vector<PendingRun> pending_;
};

}  // namespace

ApplyResult apply_migrations(const ApplyRequest& req) { return Apply(req).run(); }

bool load_migration_files(const std::string& dir, Layout layout, const std::vector<std::string>& exclude,
                          std::vector<MigrationFile>& out, std::string& err) {
  std::vector<MigrationEntry> entries;
  if (!list_migrations(dir, layout, exclude, entries, err)) return false;
  if (entries.empty()) {
    err = no_migrations_message(dir, layout, !exclude.empty());
    return false;
  }
  out.clear();
  for (auto& e : entries) {
    MigrationFile m;
    if (!read_source(e.path, e.layout, m.file, err)) return false;
    m.layout = e.layout;
    m.name = fs::path(e.path).lexically_relative(dir).generic_string();
    if (m.name.empty() || m.name.starts_with("..")) m.name = fs::path(e.path).filename().string();
    m.checksum = sha256_checksum(m.file.text);
    out.push_back(std::move(m));
  }
  return true;
}

DbResult mark_deployed(const std::string& url, const std::string& release) {
  if (release.empty()) return DbResult::failure("a release name is required");
  Connection c;
  if (auto r = c.open(url); !r.ok) return r;
  if (auto r = ensure_state_schema(c, true); !r.ok) return r;
  auto r = mark_release_deployed(c, release);
  if (!r.ok) r.error = db::redact_secrets(r.error, url);
  return r;
}

DbResult check_rollback(const std::string& url, const std::string& release, RollbackCheck& out) {
  out = RollbackCheck{};
  Connection c;
  if (auto r = c.open(url); !r.ok) return r;
  if (auto r = ensure_state_schema(c, false); !r.ok) return r;
  State st;
  if (auto r = load_state(c, st); !r.ok) return r;
  if (const ReleaseState* sv = st.serving()) out.serving = sv->name;
  const ReleaseState* target = st.release(release);
  if (!target || !target->deployed) return DbResult::success();
  out.known = true;
  try {
    pqxx::read_transaction tx(c.raw());
    // Contract steps done, of migrations whose expand finished after the release's first deploy.
    auto rows = tx.exec(
        "SELECT m.name, s.kind, s.sql FROM pgstage.migrations m JOIN pgstage.steps s ON s.migration = m.name "
        "WHERE s.phase = 'contract' AND s.status = 'done' AND "
        "coalesce((SELECT max(e.finished_at) FROM pgstage.steps e WHERE e.migration = m.name AND e.phase <> "
        "'contract'), m.started_at) > (SELECT deployed_at FROM pgstage.releases WHERE name = " +
        tx.quote(release) + ") ORDER BY m.name, s.ord");
    // Per migration: its contract step kinds, and the statements that removed something (a DROP of
    // a column, table, view or type), whitespace collapsed.
    std::map<std::string, std::pair<std::string, std::string>> by;
    for (auto row : rows) {
      auto& [kinds, removed] = by[row[0].c_str()];
      kinds += (kinds.empty() ? "" : ", ") + std::string(row[1].c_str());
      std::string sql = row[2].c_str();
      // A staged rename's contract drops the copy and renames the old column onto its name: what
      // the older release loses is the old name.
      bool rename = std::string(row[1].c_str()) == "rename-column";
      if (sql.rfind("DO ", 0) == 0 && !rename) continue;
      size_t start = 0;
      while (start < sql.size()) {
        size_t end = sql.find(';', start);
        if (end == std::string::npos) end = sql.size();
        std::string stmt;
        bool space = false;
        for (size_t i = start; i < end; ++i) {
          char ch = sql[i];
          if (isspace(static_cast<unsigned char>(ch))) {
            space = !stmt.empty();
            continue;
          }
          if (space) stmt += ' ';
          space = false;
          stmt += ch;
        }
        if (auto at = stmt.find("ALTER TABLE "); rename && at != std::string::npos &&
                                                   stmt.find("RENAME COLUMN") != std::string::npos)
          removed += (removed.empty() ? "" : "; ") + ("`" + stmt.substr(at) + "`");
        for (const char* what : {"DROP COLUMN", "DROP TABLE", "DROP VIEW", "DROP TYPE"})
          if (!rename && stmt.find(what) != std::string::npos) {
            removed += (removed.empty() ? "" : "; ") + ("`" + stmt + "`");
            break;
          }
        start = end + 1;
      }
    }
    for (auto& [m, kr] : by)
      out.blockers.push_back(m + ": its contract ran after " + release + " was deployed (" + kr.first + ") and " +
                             (kr.second.empty() ? "changed what " + release + " may rely on"
                                                : "removed what " + release + " may still use: " + kr.second));
    return DbResult::success();
  } catch (...) {
    return current_exception_result("cannot read the pgstage state");
  }
}

DbResult read_status(const std::string& url, StatusReport& out) {
  Connection c;
  if (auto r = c.open(url); !r.ok) return r;
  if (auto r = ensure_state_schema(c, false); !r.ok) return r;
  if (auto r = load_state(c, out.state); !r.ok) return r;
  for (auto& m : out.state.migrations) {
    if (m.status != "expanded" && m.status != "contracting") continue;
    std::string w = contract_wait(out.state, m);
    out.contracts.push_back({m.name, m.release, w.empty(), w});
  }
  for (auto& b : out.state.backfills) {
    if (b.done) continue;
    BackfillProgress p{b, "", -1};
    for (auto& ss : out.state.steps[b.migration]) {
      if (ss.step.id != b.step_id || !ss.step.backfill) continue;
      p.table = ss.step.backfill->table.str();
      try {
        pqxx::read_transaction tx(c.raw());
        p.estimated_rows = tx.exec1(planner::backfill_estimate_sql(*ss.step.backfill))[0].as<double>();
      } catch (...) {
      }
    }
    out.backfills.push_back(std::move(p));
  }
  return DbResult::success();
}

}  // namespace pgstage::executor
