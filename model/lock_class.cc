#include "model/lock_class.h"

namespace vfiosim {

const char* LockClassName(LockClass c) {
  switch (c) {
    case LockClass::kDevSetLock: return "dev_set->lock";
    case LockClass::kMmapLock: return "mmap_lock";
    case LockClass::kMemoryLock: return "memory_lock";
    case LockClass::kDmaResv: return "dma_resv";
    case LockClass::kIMmapRwsem: return "i_mmap_rwsem";
    case LockClass::kPtl: return "ptl";
    case LockClass::kCount: break;
  }
  return "?";
}

}  // namespace vfiosim
