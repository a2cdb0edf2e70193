// libFuzzer target over the whole lint pipeline: layout detection and the up section (source),
// statement splitting and parsing, lowering, catalog, lock facts, every rule, and every report
// format in cli/report.h. Build with -DPGSTAGE_FUZZ=ON (clang); see tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <string>

#include "analyzer/lint.h"
#include "cli/report.h"
#include "rules/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pgstage;
  std::string text(reinterpret_cast<const char*>(data), size);
  // The first byte picks options, so the fuzzer also explores layouts and transaction modes.
  unsigned sel = size ? data[0] : 0;
  LintOptions opts;
  opts.jobs = 1;
  static const Layout layouts[] = {Layout::Auto, Layout::Plain, Layout::Goose, Layout::Dbmate, Layout::Flyway};
  opts.layout = layouts[sel % 5];
  opts.settings.transaction = (sel & 0x10) ? TxMode::None : (sel & 0x20) ? TxMode::PerFile : TxMode::Auto;
  opts.settings.pg_version = (sel & 0x40) ? 11 : 15;
  for (const Rule* r : rules::all()) opts.enable.insert(std::string(r->id));

  std::vector<LintInput> inputs;
  LintInput in;
  in.is_stdin = true;
  in.path = "fuzz.sql";
  in.stdin_text = std::move(text);
  if (sel & 0x80) {  // a second file: the same text as history, exercising catalog replay
    LintInput h = in;
    h.path = "history.sql";
    h.history = true;
    inputs.push_back(std::move(h));
  }
  inputs.push_back(std::move(in));
  LintResult r = run_lint(inputs, rules::all(), opts);

  cli::ReportOptions ro;
  ro.color = sel & 1;
  volatile size_t sink = cli::render_text(r, ro).size() + cli::render_json(r, ro).size();
  (void)sink;
  return 0;
}
