// Runs model coroutines straight through on the calling OS thread: the
// free-running driver. Scheduling points do not suspend and locks are real
// locks, so several OS threads may run model ops on one Machine at once
// (stress mode), and tests can call a model op like a function:
//
//   sim::FreeRunner runner("test");
//   Value v = runner.Run(machine.OpRead(p, va));
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include "sim/core/check.h"
#include "sim/core/driver.h"
#include "sim/core/task.h"
#include "sim/core/thread.h"

namespace vfiosim::sim {

class FreeRunner : public Driver {
 public:
  explicit FreeRunner(std::string name, int id = 0) : Driver(false), thread_(id, std::move(name), this) {}

  template <class T>
  T Run(Task<T> task) {
    task.handle().promise().thread = &thread_;
    Start(task.handle());
    return task.await_resume();  // rethrows what the task threw
  }

  Thread& thread() { return thread_; }

 private:
  void Start(std::coroutine_handle<> h) {
    Thread* saved = Thread::current;
    Thread::current = &thread_;
    h.resume();
    Thread::current = saved;
    // Nothing suspends under this driver: the task must have finished.
    VFIOSIM_CHECK(h.done(), "a task suspended under the free-running driver");
  }
  Thread thread_;
};

}  // namespace vfiosim::sim
