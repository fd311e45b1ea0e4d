#include "sim/core/sync.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace vfiosim::sim {


std::string_view LockClassName(LockClass c) {
  switch (c) {
    case LockClass::kDevSetLock: return "dev_set->lock";
    case LockClass::kMmapLock: return "mmap_lock";
    case LockClass::kMemoryLock: return "memory_lock";
    case LockClass::kDmaResv: return "dma_resv";
    case LockClass::kIMmapRwsem: return "i_mmap_rwsem";
    case LockClass::kPtl: return "ptl";
    case LockClass::kIommuLock: return "iommu_lock";
    case LockClass::kCount: break;
  }
  return "?";
}

void LockBase::NoteAcquired(Thread* t, bool write) {
  if (write) {
    if (writer_.load(std::memory_order_relaxed) != nullptr || readers_.load() != 0) {
      std::fprintf(stderr, "vfiosim: internal error: %s taken for write while held\n",
                   std::string(LockClassName(cls_)).c_str());
      std::abort();
    }
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
  if (it == t->held.rend()) {
    std::fprintf(stderr, "vfiosim: internal error: %s released by a thread that does not hold it\n",
                 std::string(LockClassName(cls_)).c_str());
    std::abort();
  }
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
