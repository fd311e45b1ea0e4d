#include "model/iommu/vfio_iommu_type1.h"

#include <algorithm>
#include <optional>

#include "model/bugs.h"
#include "model/errno.h"
#include "model/mm/memory.h"
#include "sim/core/thread.h"

namespace vfiosim::iommu {

sim::Task<int> vfio_iommu_type1_map_dma(const vfio::VfioContext& ctx, Type1Observer* obs, mm::Mm& mm, uint64_t addr,
                                        uint64_t len, bool write, std::vector<dmabuf::PhysRange>* ranges) {
  sim::FuncScope f("vfio_iommu_type1_map_dma");
  if (len == 0 || (addr & 4095) || (len & 4095)) co_return -kEINVAL;
  // vfio_dma_do_map(): `if (vaddr + size - 1 < vaddr) return -EINVAL;` (a range
  // that wraps past the top of the address space).
  if (addr + len - 1 < addr) co_return -kEINVAL;
  co_await mm.mmap_lock.LockRead();
  mm.TouchVmas(false);
  if (mm.exited) {
    mm.mmap_lock.UnlockRead();
    co_return -kEINVAL;
  }
  for (uint64_t cur = addr; cur < addr + len;) {
    // vaddr_get_pfns() -> follow_fault_pfn(): follow_pfnmap_start(), faulting in
    // with fixup_user_fault() when nothing is mapped.
    mm::Vma* vma = mm.VmaLookup(cur);
    if (!vma || !vma->pfnmap) {
      mm.mmap_lock.UnlockRead();
      co_return -kEFAULT;
    }
    co_await mm.ptl.LockWrite();
    std::optional<mm::Leaf> leaf = mm.pt.Lookup(cur);
    mm.ptl.UnlockWrite();
    if (!leaf) {
      sim::FuncScope fx("fixup_user_fault");
      // vaddr_get_pfns() -> follow_fault_pfn(..., prot & IOMMU_WRITE): a write fault;
      // fixup_user_fault() refuses it on a VMA without VM_WRITE (vma_permits_fault()).
      if (write && !vma->writable) {
        mm.mmap_lock.UnlockRead();
        co_return -kEFAULT;
      }
      const mm::VmFaultResult fr = co_await mm::handle_mm_fault(mm, *vma, cur, write);
      if (fr != mm::VmFaultResult::kNoPage) {
        mm.mmap_lock.UnlockRead();
        // fixup_user_fault(): -ENOMEM for VM_FAULT_OOM, else -EFAULT.
        co_return fr == mm::VmFaultResult::kOom ? -kENOMEM : -kEFAULT;
      }
      continue;
    }
    // follow_fault_pfn(): `if (write_fault && !args.writable) ret = -EFAULT;`, the
    // check 07956b6269d3 "vfio/type1: Use follow_pte()" added (follow_pfn() before
    // it returned the PFN whatever the PTE's protection).
    if (write && !leaf->writable && !ctx.bug(Bug::kType1IgnoresPteWrite)) {
      mm.mmap_lock.UnlockRead();
      co_return -kEFAULT;
    }
    if (obs) obs->OnType1Pfn(*leaf, write);
    // Step by the leaf size ("vfio: Improve DMA mapping performance for huge pfnmaps").
    const uint64_t paddr = (leaf->pfn << 12) + (cur - leaf->va);
    const uint64_t step = std::min(leaf->end(), addr + len) - cur;
    if (!ranges->empty() && ranges->back().paddr + ranges->back().len == paddr)
      ranges->back().len += step;
    else
      ranges->push_back({paddr, step});
    cur += step;
  }
  mm.mmap_lock.UnlockRead();
  co_return 0;
}

}  // namespace vfiosim::iommu
