// The VFIO type1 IOMMU backend's MAP_DMA of a user range
// (drivers/vfio/vfio_iommu_type1.c): the PFNs of a VM_PFNMAP range are resolved
// once, through the process's page table, and are never invalidated (type1 has
// no notifier: a later zap of the PTEs leaves the IOMMU mapping in place).
#pragma once

#include <cstdint>
#include <vector>

#include "model/dmabuf/dma_buf.h"
#include "model/mm/mm.h"
#include "model/vfio/vfio_context.h"
#include "sim/core/task.h"

namespace vfiosim::iommu {

// What the checker hears from type1.
class Type1Observer {
 public:
  virtual ~Type1Observer() = default;
  // MAP_DMA took the PFN of `leaf` into an IOMMU mapping that is writable iff
  // `iommu_write` (iommu-prot-escalation).
  virtual void OnType1Pfn(const mm::Leaf& /*leaf*/, bool /*iommu_write*/) {}
};

// vfio_iommu_type1_map_dma() -> vfio_dma_do_map() -> vfio_pin_map_dma() of
// [vaddr, vaddr + size) of `mm`, IOMMU_WRITE iff `write`: vaddr_get_pfns() ->
// follow_fault_pfn() per leaf (faulting in with fixup_user_fault() where nothing
// is mapped), stepping by the leaf size. Appends the physical ranges to *ranges
// (contiguous ones merged). Returns 0 or -errno (-EINVAL, -EFAULT, -ENOMEM).
sim::Task<int> vfio_iommu_type1_map_dma(const vfio::VfioContext& ctx, Type1Observer* obs, mm::Mm& mm, uint64_t vaddr,
                                        uint64_t size, bool write, std::vector<dmabuf::PhysRange>* ranges);

}  // namespace vfiosim::iommu
