// sim::RetryScope: a loop in model code that starts again with what it had
// when it began, e.g. a user access retried after a fault (mm::user_access():
// handle_mm_fault() returned VM_FAULT_NOPAGE and the instruction runs again).
//
// The stateful search (--reduction=state) knows a thread inside an op by what
// its steps read since the op began (sim/explore/state_cache.h). At Retry()
// the thread's locals, in every frame of its op, are again those of the
// scope's start, so what it read in between no longer matters: the search
// keys the thread by its history at the scope's start, marked as retried, and
// two schedules whose faults went differently but ended in a retry meet. A
// thread that reaches its next point having read nothing since the scope
// began is keyed the same way, so that a first attempt and a retry meet too.
//
// The caller promises that (the scope begins right before its loop, Retry()
// is the loop's increment: from either, the same code runs to the next point)
// and that Retry() is the last thing the step does before the thread's next
// point (a read after it would be keyed by a state the step itself changed;
// the explorer refuses it with DisciplineError). The search's key check
// (StateCache's check_next) and the differential soundness test are what
// catch a broken promise, and neither catches all: a retry that forgets a
// local whose effect shows only later, and not in the outcomes, passes both.
#pragma once

#include "sim/core/driver.h"
#include "sim/core/thread.h"

namespace vfiosim::sim {

class RetryScope {
 public:
  RetryScope() : t_(Thread::current) {
    if (t_ == nullptr) return;
    ++t_->retry_scopes;
    t_->read_in_scope = false;
    Log(TouchLog::Event::kEnter);
  }
  ~RetryScope() {
    if (t_ == nullptr) return;
    --t_->retry_scopes;
    Log(TouchLog::Event::kLeave);
  }
  RetryScope(const RetryScope&) = delete;
  RetryScope& operator=(const RetryScope&) = delete;

  // The loop starts again: every local of the op is what it was at the scope's
  // start, and the thread reads nothing more before its next point.
  void Retry() {
    if (t_ != nullptr) t_->read_in_scope = false;
    Log(TouchLog::Event::kRetry);
  }

 private:
  // Only from a step of its thread (not when an abandoned op's frame goes).
  void Log(TouchLog::Event::Kind k) {
    if (t_ == nullptr || t_ != Thread::current || t_->driver()->touch_log == nullptr) [[likely]] return;
    t_->driver()->touch_log->Log(k, t_->id());
  }
  Thread* t_;  // the thread it runs on (none: the checker's, or free-running setup)
};

}  // namespace vfiosim::sim
