#include "sim/core/sync.h"

#include <algorithm>

#include "sim/core/check.h"

namespace vfiosim::sim {

void LockBase::NoteAcquired(Thread* t, bool write) {
  if (write) {
    VFIOSIM_CHECK(writer_.load(std::memory_order_relaxed) == nullptr && readers_.load() == 0,
                  "%s taken for write while held", cls_name_);
    writer_.store(t, std::memory_order_relaxed);
  } else {
    readers_.fetch_add(1, std::memory_order_relaxed);
  }
  t->held.push_back(HeldLock{this, write});
  if (LockObserver* o = t->driver()->lock_observer) o->OnLockAcquired(t, this, write);
}

void LockBase::NoteReleased(Thread* t, bool write) {
  auto it = std::find_if(t->held.rbegin(), t->held.rend(),
                         [&](const HeldLock& h) { return h.lock == this && h.write == write; });
  VFIOSIM_CHECK(it != t->held.rend(), "%s released by a thread that does not hold it",
                cls_name_);
  t->held.erase(std::next(it).base());
  if (write)
    writer_.store(nullptr, std::memory_order_relaxed);
  else
    readers_.fetch_sub(1, std::memory_order_relaxed);
  if (LockObserver* o = t->driver()->lock_observer) o->OnLockReleased(t, this, write);
}

void Mutex::Unlock() {
  Thread* t = Thread::current;
  NoteReleased(t, true);
  if (!t->driver()->controlled()) RealUnlock(true);
}

void RwSem::UnlockRead() {
  Thread* t = Thread::current;
  NoteReleased(t, false);
  if (!t->driver()->controlled()) RealUnlock(false);
}

void RwSem::UnlockWrite() {
  Thread* t = Thread::current;
  NoteReleased(t, true);
  if (!t->driver()->controlled()) RealUnlock(true);
}

FuncScope::FuncScope(const char* f) : t_(Thread::current) {
  if (t_) t_->funcs.push_back(f);
}
FuncScope::~FuncScope() {
  if (t_ && !t_->funcs.empty()) t_->funcs.pop_back();
}

}  // namespace vfiosim::sim
