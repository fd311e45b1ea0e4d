// sim::Driver: what runs simulated threads. Two kinds share the model code:
//  - controlled (ControlledDriver, sim/core/controlled_driver.h; the explorer
//    runs it through Execution): one step at a time, every point suspends;
//  - free-running (FreeRunner, sim/core/free_runner.h; stress and tests): points
//    do not suspend, locks are real locks.
// The driver also forwards lock events to an observer (lockdep, traces).
#pragma once

#include <string>

namespace vfiosim::sim {

class Thread;
class LockBase;

class LockObserver {
 public:
  virtual ~LockObserver() = default;
  virtual void OnLockAcquired(Thread* t, LockBase* l, bool write) = 0;
  virtual void OnLockReleased(Thread* t, LockBase* l, bool write) = 0;
};

class Driver {
 public:
  explicit Driver(bool controlled) : controlled_(controlled) {}
  virtual ~Driver() = default;
  bool controlled() const { return controlled_; }
  LockObserver* lock_observer = nullptr;
  // Check every touch of shared model state against the step's declared op
  // (sim/core/discipline.h). Controlled driver only.
  bool check_discipline = false;
  // Trace notes (sim/core/trace_note.h): recorded only when tracing() is true.
  virtual bool tracing() const { return false; }
  virtual void Note(std::string) {}

 private:
  bool controlled_;
};

}  // namespace vfiosim::sim
