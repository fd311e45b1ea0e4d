// The model's lock classes, as lockdep names them: the checkers keep the lock-order
// graph per class. sim/core's locks only carry a class id and name (sim::LockClassRef);
// the names are the model's, and this is the one place that lists them.
//
//   sim::RwSem memory_lock{LockClassOf(LockClass::kMemoryLock), name};
#pragma once

#include <cstdint>

#include "sim/core/sync.h"

namespace vfiosim {

enum class LockClass : uint8_t {
  kDevSetLock,  // vdev->vdev.dev_set->lock (mutex)
  kMmapLock,    // mm->mmap_lock (rwsem)
  kMemoryLock,  // vdev->memory_lock (rwsem)
  kDmaResv,     // dmabuf->resv (ww_mutex)
  kIMmapRwsem,  // mapping->i_mmap_rwsem
  kPtl,         // page-table lock (split ptl; one per mm in the model)
  kCount,
};
static_assert(static_cast<int>(LockClass::kCount) <= sim::kMaxLockClasses);

// "memory_lock" for kMemoryLock; static storage. "?" for kCount and ids out of range.
const char* LockClassName(LockClass c);

// What a lock of class `c` is constructed with.
inline sim::LockClassRef LockClassOf(LockClass c) { return {static_cast<int>(c), LockClassName(c)}; }

}  // namespace vfiosim
