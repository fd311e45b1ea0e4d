// The access discipline of model code, checked rather than trusted.
//
// Sleep sets and DPOR decide that two steps commute from the ops their threads
// declared at their scheduling points (PendingOp, thread.h). That is sound only if
// a step touches nothing else that another thread's step touches: between two
// points, model code may touch
//   - the object(s) its pending op named (a read-declared object only for reads),
//   - objects protected by a lock the thread holds (write: held exclusively), or
//   - its own locals.
// Every read and write of shared model state reports here with the object, its
// guard and what it is. With the check on (ExecOptions::check_discipline; the
// test suite turns it on for every scenario, VFIOSIM_CHECK_DISCIPLINE=1 for the
// CLI), a touch that none of these allows throws DisciplineError naming the
// object, the kernel function and the op the step declared: a missing
// scheduling point fails the test that exercises it.
//
// Under the free-running driver, in setup/finally (one thread alone) and in the
// checker (no current thread) nothing is checked.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "sim/core/driver.h"
#include "sim/core/thread.h"

namespace vfiosim::sim {

class LockBase;

class DisciplineError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// What protects an object besides a declaration of the object itself: up to
// two locks and a point object. A read needs any of them, a write all of them
// (locks held for write, the point declared as written), so that a reader
// holding just one excludes every writer. E.g. a dma-buf's revoke status is
// written with memory_lock held for write, in the step that takes the resv
// lock; the fault reads it under either lock, ->attach in a step that
// declares a read of the resv lock.
struct Guard {
  const LockBase* lock = nullptr;
  const LockBase* lock2 = nullptr;
  // An object declared by points that name another object (a dma-buf's status
  // is declared as its resv lock: writers change it in the step that takes the
  // lock, lock-free readers declare an access to the lock).
  const void* point = nullptr;
};

namespace discipline_internal {
void Check(Thread* t, const void* obj, bool write, const char* what, const Guard& g);
}  // namespace discipline_internal

// Model code reads (write=false) or writes shared object `obj` ("what" names it
// in the error). Cheap when the check is off. The stateful search also logs
// `obj` (Driver::touch_log): the parts of the state that StateWriter::Begin()
// keys by an object are left out of a step's reads unless the step touched it,
// so a read of such a part without a touch in the same step is a soundness bug
// of --reduction=state, as an undeclared access is of sleep sets and DPOR.
inline void Touch(const void* obj, bool write, const char* what, const Guard& g = {}) {
  Thread* t = Thread::current;
  if (t == nullptr) return;
  Driver* d = t->driver();
  if (d->touch_log != nullptr) {
    d->touch_log->objects.push_back(obj);
    t->read_in_scope = true;
  }
  if (d->check_discipline) discipline_internal::Check(t, obj, write, what, g);
}
// A touch by a call whose caller learns of the object only what the call
// returns, and which reports that with NoteResult() (e.g. a page-table walk):
// checked like Touch(), but the object is not logged.
inline void TouchReturning(const void* obj, bool write, const char* what, const Guard& g = {}) {
  Thread* t = Thread::current;
  if (t != nullptr && t->driver()->check_discipline) discipline_internal::Check(t, obj, write, what, g);
}
// What such a call returned (each value as LEB128), for the stateful search.
template <typename... V>
inline void NoteResult(V... values) {
  Thread* t = Thread::current;
  if (t == nullptr || t->driver()->touch_log == nullptr) [[likely]] return;
  t->read_in_scope = true;
  std::string* r = &t->driver()->touch_log->results;
  (AppendLeb128(r, static_cast<uint64_t>(values)), ...);
}
inline void TouchLocked(const void* obj, bool write, const char* what, const LockBase& l) {
  Touch(obj, write, what, Guard{&l});
}

}  // namespace vfiosim::sim
