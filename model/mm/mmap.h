// mmap(), munmap(), fork's dup_mmap() and exit_mmap() for shared file mappings
// (mm/mmap.c, mm/vma.c, kernel/fork.c).
#pragma once

#include <cstdint>
#include <vector>

#include "model/mm/mm.h"
#include "sim/core/task.h"

namespace vfiosim::mm {

struct MmapRequest {
  uint64_t addr = 0;     // with fixed: the address (MAP_FIXED); else ignored
  bool fixed = false;
  uint64_t len = 0;      // bytes, > 0
  uint64_t pgoff = 0;    // file offset in pages
  bool writable = true;  // PROT_WRITE
};

// do_mmap() -> mmap_region(): pick an address (aligned to the largest leaf size
// the length and offset allow, as QEMU does for BARs), call f_op->mmap(), then
// link the vma into the mm and the file's i_mmap. Returns the address or -errno.
sim::Task<int64_t> do_mmap(Mm& mm, File& file, MmapRequest req);

// do_munmap(): split partially covered vmas (vm_ops->open() of the part split
// off), zap, unlink (vm_ops->close()), free page tables; the files are fput()
// after mmap_lock is dropped (as the kernel defers __fput()).
// `user`: the munmap() syscall, refused (-EINVAL) once the mm is exiting.
sim::Task<int> do_munmap(Mm& mm, uint64_t addr, uint64_t len, bool user = false);

// dup_mmap(): copy every vma into `child` (get_file, vm_ops->open(), i_mmap
// insertion right after the parent's vma, then copy_page_range()).
// Both mmap_locks are held for write, as dup_mmap() does (the child's nested).
// Returns 0, -EINVAL when the parent's mm is exiting, or -ENOMEM when
// copy_page_range() could not get a page table (the page-table budget is
// spent); the caller then tears the child down (exit_mmap).
sim::Task<int> dup_mmap(Mm& parent, Mm& child);

// exit_mmap(): mark the mm exiting under mmap_lock (mmap, fork and IOMMU maps
// of it fail from then on), then unmap everything. Returns false when the mm
// was exiting already (nothing done).
sim::Task<bool> exit_mmap(Mm& mm);

}  // namespace vfiosim::mm
