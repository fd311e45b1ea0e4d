// How a variant maps BARs into user space: the part of vfio_pci_core_mmap() after
// the common checks, the fault handler (vm_ops), and how revocation zaps.
//  - LegacyBarMapping: mainline before "vfio/pci: convert BAR mmap to a DMABUF":
//    PFN = BAR start + offset; zap by unmap_mapping_range() on the device inode.
//  - DmabufBarMapping: the patch: every BAR mmap creates a single-range dma-buf
//    that becomes the VMA's file; faults look the PFN up in it; revoke zaps it.
// MakeBarMapping() is the one place that picks the variant; the rest of the
// VFIO model asks the device's BarMapping.
#pragma once

#include <memory>

#include "model/arch.h"
#include "model/mm/vma.h"
#include "sim/core/task.h"

namespace vfiosim::vfio {

class VfioPciCoreDevice;
struct VfioContext;
struct VfioPciDmaBuf;

class BarMapping {
 public:
  virtual ~BarMapping() = default;
  // The tail of vfio_pci_core_mmap() for BAR `index` (checks already done);
  // `pgoff` is the page offset inside the BAR, `req_len` the VMA length.
  virtual sim::Task<int> MmapBar(VfioPciCoreDevice& vdev, mm::Vma& vma, int index, uint64_t pgoff,
                                 uint64_t req_len) = 0;
  // Whether MmapBar() can map a BAR at all in this kernel (the patch without a
  // P2PDMA provider cannot, unless the legacy-fallback fix maps it the old way).
  virtual bool CanMmapBars(const VfioContext& ctx) const = 0;
  // Every zap site's entry: legacy vfio_pci_zap_and_down_write_memory_lock();
  // the patch: down_write(&vdev->memory_lock) (the zap moved into dma_buf_move()).
  virtual sim::Task<void> ZapAndDownWriteMemoryLock(VfioPciCoreDevice& vdev) = 0;
  // The PTE zap of one revoked dma-buf (the patch: unmap_mapping_range() of the
  // dma-buf's mapping; legacy: exported dma-bufs cannot be mmapped: nothing).
  virtual sim::Task<void> ZapDmaBuf(VfioPciDmaBuf& priv) = 0;
  // The dma-buf exporter's ->mmap exists (vfio_pci_dma_buf_mmap()).
  virtual bool exporter_mmap() const = 0;
  // VFIO_DEVICE_PCI_DMABUF_REVOKE exists.
  virtual bool revoke_ioctl() const = 0;
};

std::unique_ptr<BarMapping> MakeBarMapping(Variant v);
// The two variants (bar_mapping_legacy.cc, bar_mapping_dmabuf.cc), for MakeBarMapping().
std::unique_ptr<BarMapping> MakeLegacyBarMapping();
std::unique_ptr<BarMapping> MakeDmabufBarMapping();

// Shared by both variants (bar_mapping.cc):
// vfio_pci_zap_bars(): unmap_mapping_range() of the six BAR windows of the
// device inode.
sim::Task<void> vfio_pci_zap_bars(VfioPciCoreDevice& vdev);
// vfio_pci_vmf_insert_pfn(): memory_lock held for read (unless a mutant dropped it).
sim::Task<mm::VmFaultResult> vfio_pci_vmf_insert_pfn(VfioPciCoreDevice& vdev, const mm::VmFault& vmf,
                                                     uint64_t pfn, int order);
// The fork-escapes-zap mutant's vdev->vma_list (v5.8..v6.9): vfio_pci_add_vma()
// after a fault; whether `vma` is on it; vfio_pci_mmap_open() and
// vfio_pci_mmap_close() of the legacy vm_ops. Nothing without the mutant.
void vfio_pci_add_vma(VfioPciCoreDevice& vdev, const mm::Vma& vma);
bool vfio_pci_vma_listed(VfioPciCoreDevice& vdev, const mm::Vma& vma);
void vfio_pci_mmap_open(VfioPciCoreDevice& vdev, const mm::Vma& vma);
void vfio_pci_mmap_close(VfioPciCoreDevice& vdev, const mm::Vma& vma);
// Sets the VMA up as a VFIO BAR mapping (flags, vm_ops) - shared tail of both
// variants' mmap.
void vfio_pci_setup_vma(mm::Vma& vma, const mm::VmOps& ops, void* private_data);

// The legacy vm_ops, also used by the dmabuf variant under the legacy-fallback fix.
const mm::VmOps& LegacyVmOps();
// The patch's vm_ops (fault through the dma-buf).
const mm::VmOps& DmabufVmOps();

}  // namespace vfiosim::vfio
