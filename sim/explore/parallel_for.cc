#include "sim/explore/parallel_for.h"

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>

namespace vfiosim::sim {
namespace {

// One ParallelFor call, shared by the caller and its workers.
struct Job {
  absl::FunctionRef<void(size_t)> fn;
  size_t n;
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable cv;
  int workers = 0;              // enqueued workers that have not finished; guarded by mu
  std::exception_ptr error;     // the first exception an item threw; guarded by mu

  // Runs items until none is left. An exception (std::bad_alloc from a huge
  // scenario, say) must not escape a TBB worker (std::terminate): it is kept
  // for the caller, and the remaining items are skipped.
  void Work() {
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> l(mu);
        if (!error) error = std::current_exception();
        next.store(n, std::memory_order_relaxed);
      }
    }
  }
};

// Jobs waiting for a worker: one entry per enqueued task. A task takes any
// entry (every entry is equally good: it only adds a thread to that job).
std::mutex pending_mu;
std::deque<Job*> pending;

void RunPendingJob() {
  Job* job;
  {
    std::lock_guard<std::mutex> l(pending_mu);
    job = pending.front();
    pending.pop_front();
  }
  job->Work();
  std::lock_guard<std::mutex> l(job->mu);
  // The caller may destroy *job as soon as it sees workers == 0 under mu.
  if (--job->workers == 0) job->cv.notify_all();
}

}  // namespace

void ParallelFor(int jobs, size_t n, absl::FunctionRef<void(size_t)> fn) {
  // No more workers than TBB has threads for (it warns on stderr otherwise);
  // at least one, which TBB provides for enqueued tasks even on one core.
  const int cap = std::max(tbb::info::default_concurrency(), 2);
  const int workers = static_cast<int>(std::min<size_t>(n, static_cast<size_t>(std::clamp(jobs, 1, cap)))) - 1;
  if (workers <= 0) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Job job{fn, n};
  job.workers = workers;
  {
    std::lock_guard<std::mutex> l(pending_mu);
    for (int w = 0; w < workers; ++w) pending.push_back(&job);
  }
  // Workers only: the caller is the jobs-th thread.
  tbb::task_arena arena(workers, 0);
  for (int w = 0; w < workers; ++w) arena.enqueue([] { RunPendingJob(); });
  job.Work();
  std::unique_lock<std::mutex> l(job.mu);
  job.cv.wait(l, [&] { return job.workers == 0; });
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace vfiosim::sim
