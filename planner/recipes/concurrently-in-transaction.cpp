// concurrently-in-transaction: the CONCURRENTLY statement as written, in a step of its own outside a
// transaction block (the executor runs such a step on its own connection, in autocommit).
#include "planner/context.h"
#include "planner/recipe.h"

namespace pgstage::planner {

namespace detail {
namespace concurrently_in_transaction {

bool stage(Ctx& cx, const StatementInput& in, const Change&) {
  if (in.lock.transactional) return false;  // not the CONCURRENTLY statement the finding is about
  own_step(cx, in, /*transactional=*/false, "concurrently-in-transaction");
  return true;
}

}  // namespace concurrently_in_transaction
}  // namespace detail

extern const Recipe recipe_concurrently_in_transaction{
    .rule = "concurrently-in-transaction",
    .summary = "own non-transactional step",
    .takes = takes<CreateIndex, DropIndex, Reindex, DetachPartition>,
    .stage = detail::concurrently_in_transaction::stage,
    .whole_statement = true,
};

}  // namespace pgstage::planner
