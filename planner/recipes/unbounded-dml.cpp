// unbounded-dml: an UPDATE without WHERE becomes a batched backfill by primary key (the shared
// building block, planner/dml.cpp). A DELETE without WHERE cannot be batched: it runs as written, and
// the plan lists it with the findings no recipe stages.
#include "analyzer/rule_api.h"
#include "planner/context.h"
#include "planner/recipe.h"

namespace pgstage::planner {

namespace detail {
namespace unbounded_dml {

bool stage(Ctx& cx, const StatementInput& in, const Change& c) {
  const Dml& d = *c.as<Dml>();
  if (d.kind == DmlKind::Delete && !d.has_where && existing(cx, d.table)) {
    Finding f;
    f.rule = "unbounded-dml";
    f.category = Category::Data;
    f.severity = Severity::Warning;
    f.file = cx.file.path;
    f.begin = in.statement->begin;
    f.end = in.statement->end;
    f.start = cx.file.position(f.begin);
    f.stop = cx.file.position(f.end);
    f.message = "DELETE without WHERE on " + display_name(d.table) +
                " runs as written, in one transaction: a batched backfill only stages UPDATEs";
    f.statement_index = in.index;
    cx.unplannable.push_back(std::move(f));
    return false;
  }
  if (d.kind != DmlKind::Update || d.has_where) return false;
  return stage_update_backfill(cx, in, c, "unbounded-dml");
}

}  // namespace unbounded_dml
}  // namespace detail

extern const Recipe recipe_unbounded_dml{
    .rule = "unbounded-dml",
    .summary = "batched backfill step",
    .takes = takes<Dml>,
    .stage = detail::unbounded_dml::stage,
};

}  // namespace pgstage::planner
