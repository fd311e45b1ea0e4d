#include "model/vfio/vma_pfn.h"

#include "model/vfio/bar_mapping.h"
#include "model/vfio/vfio_pci_core.h"

namespace vfiosim::vfio {

const VfioPciDmaBuf* vma_to_dmabuf(const mm::Vma& vma) {
  return vma.vm_ops == &DmabufVmOps() ? static_cast<const VfioPciDmaBuf*>(vma.vm_private_data) : nullptr;
}

const VfioPciCoreDevice* vma_to_vdev(const mm::Vma& vma) {
  return vma.vm_ops == &LegacyVmOps() ? static_cast<const VfioPciCoreDevice*>(vma.vm_private_data) : nullptr;
}

uint64_t vma_to_pfn(const VfioPciCoreDevice& vdev, const mm::Vma& vma) {
  const int index = static_cast<int>(vma.vm_pgoff >> kPgoffIndexShift);
  return (vdev.pdev().bars[index].start >> 12) + (vma.vm_pgoff & kPgoffMask);
}

LeafPfn vfio_pci_leaf_pfn(const mm::Vma& vma, uint64_t va, uint64_t size) {
  LeafPfn out;
  if (va < vma.vm_start) return out;
  if (const VfioPciDmaBuf* priv = vma_to_dmabuf(vma)) {
    const uint64_t off = (va - vma.vm_start) + (vma.vm_pgoff << 12);
    uint64_t start = 0;
    for (const dmabuf::PhysRange& r : priv->phys_vec) {
      if (off >= start && off - start < r.len) {
        out.pfn = (r.paddr + (off - start)) >> 12;
        out.in_one_range = off + size <= start + r.len;
        break;
      }
      start += r.len;
    }
  } else if (const VfioPciCoreDevice* vdev = vma_to_vdev(vma)) {
    if ((vma.vm_pgoff >> kPgoffIndexShift) < pci::kNumBars)
      out.pfn = vma_to_pfn(*vdev, vma) + ((va - vma.vm_start) >> 12);
  }
  return out;
}

}  // namespace vfiosim::vfio
