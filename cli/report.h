// Lint report renderers. Each takes the whole result and returns the document to print.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/lint.h"

namespace pgstage::cli {

struct ReportOptions {
  bool color = false;
  Severity fail_on = Severity::Error;
};

std::string render_text(const LintResult& r, const ReportOptions& o);
std::string render_json(const LintResult& r, const ReportOptions& o);

// The JSON of one finding / lock facts (shared by formats that embed them).
nlohmann::ordered_json finding_json(const Finding& f);
nlohmann::ordered_json lock_json(const LockFacts& l);

}  // namespace pgstage::cli
