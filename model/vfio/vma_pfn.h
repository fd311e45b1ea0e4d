// Which pfn a VFIO BAR mapping puts at a user address: the answer the checkers
// compare every installed leaf against. Legacy: vma_to_pfn() plus the page
// offset (drivers/vfio/pci/vfio_pci_core.c); the patch: the dma-buf's
// phys_vec[] at the VMA's offset (vfio_pci_dma_buf_find_pfn(),
// drivers/vfio/pci/vfio_pci_dmabuf.c).
#pragma once

#include <cstdint>
#include <optional>

#include "model/mm/vma.h"

namespace vfiosim::vfio {

class VfioPciCoreDevice;
struct VfioPciDmaBuf;

// The VFIO object behind a BAR mapping's vm_private_data, told by its vm_ops:
// the dma-buf of a mapping that faults through one (the patch's BAR mmap or an
// exported dma-buf's mmap), the device of a legacy one; nullptr otherwise.
const VfioPciDmaBuf* vma_to_dmabuf(const mm::Vma& vma);
const VfioPciCoreDevice* vma_to_vdev(const mm::Vma& vma);

// vma_to_pfn(): the BAR's start pfn plus the in-BAR page offset of vm_pgoff
// (a legacy mapping's first page).
uint64_t vma_to_pfn(const VfioPciCoreDevice& vdev, const mm::Vma& vma);

struct LeafPfn {
  // The pfn the first page of the leaf must map; none when the VMA does not
  // say (the leaf starts below vm_start or beyond the dma-buf).
  std::optional<uint64_t> pfn;
  // A dma-buf leaf of that size stays in the phys_vec[] range holding its start.
  bool in_one_range = true;
};
// What a leaf of `size` bytes at `va` in `vma` must map.
LeafPfn vfio_pci_leaf_pfn(const mm::Vma& vma, uint64_t va, uint64_t size);

}  // namespace vfiosim::vfio
