// sim::Driver: what runs simulated threads. Two kinds share the model code:
//  - controlled (ControlledDriver, sim/core/controlled_driver.h; the explorer
//    runs it through Execution): one step at a time, every point suspends;
//  - free-running (FreeRunner, sim/core/free_runner.h; stress and tests): points
//    do not suspend, locks are real locks.
// The driver also forwards lock events to an observer (lockdep, traces).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vfiosim::sim {

class Thread;
class LockBase;

class LockObserver {
 public:
  virtual ~LockObserver() = default;
  virtual void OnLockAcquired(Thread* t, LockBase* l, bool write) = 0;
  virtual void OnLockReleased(Thread* t, LockBase* l, bool write) = 0;
};

// LEB128: small numbers take one byte (StateWriter's numbers, TouchLog's results).
inline void AppendLeb128(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// What the steps since the log was last cleared read of the shared state: the
// objects they touched (sim::Touch), and what the calls that report their
// results instead returned (sim::TouchReturning, sim::NoteResult).
// And where a thread's retry loop began, retried and ended (sim::RetryScope),
// as positions in the two.
struct TouchLog {
  struct Event {
    enum Kind : uint8_t { kEnter, kRetry, kLeave } kind;
    int thread;                 // Thread::id()
    uint32_t objects, results;  // the sizes of the two when it happened
  };
  std::vector<const void*> objects;
  std::string results;
  std::vector<Event> events;
  void Log(Event::Kind k, int thread) {
    events.push_back(
        Event{k, thread, static_cast<uint32_t>(objects.size()), static_cast<uint32_t>(results.size())});
  }
  void clear() {
    objects.clear();
    results.clear();
    events.clear();
  }
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
  // When set, what each step may have read is recorded here (the stateful
  // search's; sim/explore/explorer.cc).
  TouchLog* touch_log = nullptr;
  // Trace notes (sim/core/trace_note.h): recorded only when tracing() is true.
  virtual bool tracing() const { return false; }
  virtual void Note(std::string) {}

 private:
  bool controlled_;
};

}  // namespace vfiosim::sim
