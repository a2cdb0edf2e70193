#include "rules/helpers.h"

namespace pgstage::rules {

// The check lives in the lint driver (analyzer/lint.cpp, Linter::report_ignores), which sees every
// ignore comment and how many findings each suppressed; this file holds the rule's identity and docs.
extern const Rule rule_unused_ignore = {
    .id = "unused-ignore",
    .category = Category::Meta,
    .severity = Severity::Warning,
    .summary = "An ignore comment that suppressed nothing, or names an unknown rule",
    .why =
        "`-- pgstage:ignore rule -- reason` comments outlive the code they were written for. One that no longer "
        "suppresses anything (the statement changed, the rule id is misspelled) hides nothing today but will "
        "silently hide a real finding later. A bare `pgstage:ignore` with no rule id is reported as an error.",
    .lock = "None (about comments).",
    .instead = "Delete the comment, or correct the rule id it names: `-- pgstage:ignore truncate-table -- reason`.",
    .bad = "-- pgstage:ignore truncate-table -- left over\nSELECT 1;",
    .good = "-- pgstage:ignore truncate-table -- staging table, emptied on purpose\nTRUNCATE import_staging;",
};

}  // namespace pgstage::rules
