// The sync layer the model is written against: kernel locks and lock-free shared
// accesses, each a scheduling point.
//
//   co_await vdev.memory_lock.LockWrite();   // down_write(&vdev->memory_lock)
//   vdev.memory_lock.UnlockWrite();          // up_write(): not a point (see below)
//   co_await sim::Access(&dev.mmio, true, "mmio");  // a store the kernel does without a lock
//
// Acquisitions and accesses suspend (controlled driver) before they happen, so the
// scheduler can order them; releases do not suspend: whatever the releasing thread
// does next is local until its next point, so yielding at the release would only
// duplicate schedules. Under the free-running driver nothing suspends and the locks
// are real std::mutex / std::shared_mutex.
#pragma once

#include <atomic>
#include <coroutine>
#include <mutex>
#include <shared_mutex>
#include <string_view>

#include "sim/core/driver.h"
#include "sim/core/thread.h"

namespace vfiosim::sim {

// A lock's class, as lockdep groups locks: the order graph is kept per class, not per
// lock. sim/core does not know the classes; whoever names the locks (the model:
// model/lock_class.h) gives each class a small id and a name, which locks carry.
struct LockClassRef {
  int id;            // 0 <= id < kMaxLockClasses (the checkers keep a bit matrix of classes)
  const char* name;  // static storage: "memory_lock", as traces and messages print it
};
inline constexpr int kMaxLockClasses = 32;

class LockBase {
 public:
  LockBase(LockClassRef cls, std::string_view instance)
      : cls_(cls.id), cls_name_(cls.name), instance_(instance) {}
  int cls() const { return cls_; }
  const char* cls_name() const { return cls_name_; }
  std::string_view instance() const { return instance_; }

  // Controlled mode: can `t` take the lock now?
  virtual bool CanAcquire(bool write) const = 0;
  bool write_held() const { return writer_.load(std::memory_order_relaxed) != nullptr; }
  int readers() const { return readers_.load(std::memory_order_relaxed); }
  Thread* writer() const { return writer_.load(std::memory_order_relaxed); }

 protected:
  void NoteAcquired(Thread* t, bool write);
  void NoteReleased(Thread* t, bool write);
  virtual void RealLock(bool write) = 0;
  virtual void RealUnlock(bool write) = 0;

  std::atomic<Thread*> writer_{nullptr};
  std::atomic<int> readers_{0};

 private:
  friend struct LockAwaiter;
  int cls_;
  const char* cls_name_;
  std::string_view instance_;
};

// The discipline check of Mutex::LockReadSection() at the thread's next point:
// the section has ended (discipline.cc). Cheap when the check is off.
void CheckSectionEndedSlow(Thread* t);
inline void CheckSectionEnded(Thread* t) {
  if (t->step_op.read_section && t->driver()->check_discipline) CheckSectionEndedSlow(t);
}

struct LockAwaiter {
  LockBase* lock;
  bool write;
  bool read_section = false;  // Mutex::LockReadSection()
  bool acquired_now = false;

  bool await_ready() {
    Thread* t = Thread::current;
    if (t->driver()->controlled()) return false;
    lock->RealLock(write);
    lock->NoteAcquired(t, write);
    acquired_now = true;
    return true;
  }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    Thread* t = h.promise().thread;
    t->resume_point = h;
    CheckSectionEnded(t);
    t->pending = PendingOp{PendingOp::Kind::kLock, write && !read_section, lock, lock->cls_name(), lock};
    t->pending.read_section = read_section;
    return true;
  }
  void await_resume() {
    if (!acquired_now) lock->NoteAcquired(Thread::current, write);
  }
};

// A sleeping mutex (struct mutex), a spinlock or a ww_mutex taken without a
// context (dma_resv_lock(resv, NULL)): exclusive only.
class Mutex : public LockBase {
 public:
  using LockBase::LockBase;
  LockAwaiter Lock() { return LockAwaiter{this, true}; }
  // mutex_lock() for a critical section that only reads what the lock protects
  // and unlocks before the thread's next scheduling point (e.g. the fault's
  // resv section that reads a dma-buf's revoke status). Taken exclusively, as
  // the kernel does, but declared to the explorer as a read of the lock: the
  // whole section is inside one step, so two such steps commute (each finds
  // the lock free and leaves it free, neither changes what the other reads),
  // as two read acquisitions of an rwsem do; a section that writes conflicts
  // with them. The discipline check holds the caller to both promises: a
  // write under the lock, or reaching the next point still holding it, is a
  // DisciplineError.
  LockAwaiter LockReadSection() { return LockAwaiter{this, true, true}; }
  void Unlock();
  bool CanAcquire(bool) const override { return !write_held(); }
  bool held_by(const Thread* t) const { return writer() == t; }

 protected:
  void RealLock(bool) override { real_.lock(); }
  void RealUnlock(bool) override { real_.unlock(); }

 private:
  std::mutex real_;
};

// struct rw_semaphore. Readers share, a writer excludes all. (The kernel's rwsem
// also makes new readers wait behind a queued writer; the model does not: see
// docs/fidelity.md.)
class RwSem : public LockBase {
 public:
  using LockBase::LockBase;
  LockAwaiter LockRead() { return LockAwaiter{this, false}; }
  LockAwaiter LockWrite() { return LockAwaiter{this, true}; }
  void UnlockRead();
  void UnlockWrite();
  bool CanAcquire(bool write) const override {
    return !write_held() && (!write || readers() == 0);
  }

 protected:
  void RealLock(bool write) override { write ? real_.lock() : real_.lock_shared(); }
  void RealUnlock(bool write) override { write ? real_.unlock() : real_.unlock_shared(); }

 private:
  std::shared_mutex real_;
};

// A lock-free access to shared state (READ_ONCE/WRITE_ONCE, the hardware's view
// of a page table or of device registers).
struct AccessAwaiter {
  const void* obj;
  bool write;
  const char* what;
  const void* obj2 = nullptr;
  bool write2 = false;

  bool await_ready() const { return !Thread::current->driver()->controlled(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) const {
    Thread* t = h.promise().thread;
    t->resume_point = h;
    CheckSectionEnded(t);
    t->pending = PendingOp{PendingOp::Kind::kAccess, write, obj, what, nullptr, obj2, write2};
    return true;
  }
  void await_resume() const {}
};

inline AccessAwaiter Access(const void* obj, bool write, const char* what) {
  return AccessAwaiter{obj, write, what};
}
// One indivisible step that touches two objects.
inline AccessAwaiter Access2(const void* obj, bool write, const void* obj2, bool write2,
                             const char* what) {
  return AccessAwaiter{obj, write, what, obj2, write2};
}

}  // namespace vfiosim::sim
