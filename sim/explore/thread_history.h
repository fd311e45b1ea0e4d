// A thread's history inside its op, for the stateful search's key
// (sim/explore/state_cache.h): what its steps since the op began read of the
// shared state, and where the retry loop it is in began (sim::RetryScope).
#pragma once

#include <cstdint>

#include "sim/core/driver.h"
#include "sim/core/state_writer.h"
#include "sim/core/thread.h"
#include "sim/explore/state_cache.h"

namespace vfiosim::sim {

struct ThreadHistory {
  uint32_t read = 0;        // 0: at the op's start, nothing read since
  uint32_t retry_from = 0;  // the history where its RetryScope began; 0: none
};

// A thread's history at the first node: it ran from the state after setup,
// the same in every execution, up to its first point. What it read there need
// not be keyed; a RetryScope it began there began at a history of its own,
// and if it read nothing since, it is keyed as a retry to there is. (Not from
// the touch log: there, another thread's op that ended before its first point
// cleared what this one logged; Thread::retry_scopes and read_in_scope.)
ThreadHistory StartHistory(StateCache& cache, const Thread& t);

// `h` after a step of its thread that ran from the shared state `view` and
// logged `log`: extended by what the step read (StateWriter::StepRead), in
// parts split where a RetryScope began (the start's history is the history
// so far: the reads before it in the step, of `view`, determine the thread's
// locals there). A Retry() puts the thread back where its scope began, with
// its locals as they were then: the history is that start's, marked as
// retried, and what it read since is forgotten; a step that ends right after
// its scope began (nothing read since) is keyed the same. Throws DisciplineError when
// RetryScope's rules are broken.
void AdvanceHistory(StateCache& cache, const StateWriter& view, const TouchLog& log, ThreadHistory* h);

}  // namespace vfiosim::sim
