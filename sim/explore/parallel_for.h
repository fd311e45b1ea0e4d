// Runs independent work items over TBB worker threads, in a way that
// ThreadSanitizer can check although Debian's libtbb is not instrumented.
#pragma once

#include <cstddef>

#include "absl/functional/function_ref.h"

namespace vfiosim::sim {

// Calls fn(i) once for every i in [0, n), on the calling thread and up to
// jobs-1 TBB workers; returns when every call has returned. Items are claimed
// dynamically (one at a time, in index order), so callers that need a
// deterministic result store it per index and merge afterwards. If a call
// throws, the items not yet started are skipped and the first exception is
// rethrown here once every thread has stopped.
//
// Why not tbb::parallel_for: the hand-off of the body to a worker (task spawn
// and steal) happens inside libtbb, which TSan does not see, so every access
// of the body's captures from a worker looks like a race, in frames inlined
// from oneapi/tbb/parallel_for.h that a `race:tbb::detail::` suppression does
// not match. Here the work reaches the workers through a std::mutex (which TSan
// sees) and the enqueued TBB tasks capture nothing.
void ParallelFor(int jobs, size_t n, absl::FunctionRef<void(size_t)> fn);

}  // namespace vfiosim::sim
