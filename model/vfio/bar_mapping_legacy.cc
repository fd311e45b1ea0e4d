// LegacyBarMapping: drivers/vfio/pci/vfio_pci_core.c before "vfio/pci: convert BAR
// mmap to a DMABUF" (v6.12+ huge_fault, "Align huge faults to order", 2025).
#include "model/mm/memory.h"
#include "model/vfio/bar_mapping.h"
#include "model/vfio/vfio_pci_core.h"
#include "model/vfio/vma_pfn.h"
#include "sim/core/thread.h"

namespace vfiosim::vfio {
namespace {

using mm::VmFaultResult;

class LegacyVmOpsImpl final : public mm::VmOps {
 public:
  bool has_huge_fault() const override { return true; }
  const char* name() const override { return "vfio_pci_mmap_ops"; }

  // vfio_pci_mmap_huge_fault() (order 0: vfio_pci_mmap_page_fault()).
  sim::Task<VmFaultResult> HugeFault(mm::VmFault vmf, int order) const override {
    sim::FuncScope f("vfio_pci_mmap_huge_fault");
    mm::Vma& vma = *vmf.vma;
    auto& vdev = *static_cast<VfioPciCoreDevice*>(vma.vm_private_data);
    const VfioContext& ctx = vdev.ctx();
    const uint64_t size = uint64_t{4096} << order;
    const uint64_t addr = vmf.address & ~(size - 1);
    const uint64_t pgoff = (addr - vma.vm_start) >> 12;
    uint64_t pfn = vma_to_pfn(vdev, vma) + pgoff;
    // Before c1d9dac0db16 "vfio/pci: Align huge faults to order" (v6.15) the
    // check demanded an order-aligned faulting address (vmf->address), so only
    // the first page of a window could get a PMD/PUD; a fault elsewhere in it
    // took the PTE path while another could insert the PMD (bugzilla 220057).
    if (order && ctx.bug(Bug::kHugeFaultNeedsAlignedAddress) && (vmf.address & (size - 1) & ~uint64_t{4095}))
      co_return VmFaultResult::kFallback;
    if (order) {
      // is_aligned_for_order(): the window inside the vma, the pfn order-aligned.
      const bool in_vma = addr >= vma.vm_start && addr + size <= vma.vm_end;
      const bool aligned = !(pfn & ((uint64_t{1} << order) - 1));
      if (!in_vma && !ctx.bug(Bug::kHugeFaultNoRangeCheck)) co_return VmFaultResult::kFallback;
      if (!aligned) {
        if (!ctx.bug(Bug::kHugeFaultUnalignedPfn)) co_return VmFaultResult::kFallback;
        pfn &= ~((uint64_t{1} << order) - 1);  // the PMD/PUD drops the low bits
      }
      if (!in_vma && addr < vma.vm_start) pfn = vma_to_pfn(vdev, vma) - ((vma.vm_start - addr) >> 12);
    }
    const bool locked = !ctx.bug(Bug::kFaultWithoutLock);
    if (locked) co_await vdev.memory_lock.LockRead();
    const VmFaultResult r = co_await vfio_pci_vmf_insert_pfn(vdev, vmf, pfn, order);
    // fork-escapes-zap: v5.8..v6.9 listed the faulted vma (vfio_pci_add_vma()).
    if (r == VmFaultResult::kNoPage && ctx.bug(Bug::kForkEscapesZap)) vfio_pci_add_vma(vdev, vma);
    if (locked) vdev.memory_lock.UnlockRead();
    co_return r;
  }

  // vfio_pci_mmap_open() / vfio_pci_mmap_close() of v5.8..v6.9: vdev->vma_list
  // upkeep, for the fork-escapes-zap mutant (bar_mapping.cc).
  void Open(mm::Vma& vma) const override {
    vfio_pci_mmap_open(*static_cast<VfioPciCoreDevice*>(vma.vm_private_data), vma);
  }
  void Close(mm::Vma& vma) const override {
    vfio_pci_mmap_close(*static_cast<VfioPciCoreDevice*>(vma.vm_private_data), vma);
  }
};

class LegacyBarMapping final : public BarMapping {
 public:
  sim::Task<int> MmapBar(VfioPciCoreDevice& vdev, mm::Vma& vma, int, uint64_t, uint64_t) override {
    // vm_pgoff stays the device-fd offset so unmap_mapping_range() finds it.
    vfio_pci_setup_vma(vma, LegacyVmOps(), &vdev);
    // vfio_pci_core_mmap() must not populate PTEs: call_mmap() runs before
    // vma_link_file(), so a zap between the two cannot find this vma (the rule
    // aac6db75a9fc "vfio/pci: Use unmap_mapping_range()" states). The
    // prefault-in-mmap mutant maps the whole vma here anyway, with the memory
    // check under memory_lock that a fault would make.
    if (vdev.ctx().bug(Bug::kPrefaultInMmap)) {
      co_await vdev.memory_lock.LockRead();
      vdev.TouchConfig(false);
      if (!vdev.pm_runtime_engaged && vdev.memory_enabled()) {
        const uint64_t pfn = vma_to_pfn(vdev, vma);
        for (uint64_t va = vma.vm_start; va < vma.vm_end; va += 4096) {
          const mm::VmFault vmf{&vma, va, false};
          if (co_await mm::vmf_insert_pfn(vmf, pfn + ((va - vma.vm_start) >> 12), 0) != VmFaultResult::kNoPage) break;
        }
      }
      vdev.memory_lock.UnlockRead();
    }
    co_return 0;
  }

  sim::Task<void> ZapAndDownWriteMemoryLock(VfioPciCoreDevice& vdev) override {
    sim::FuncScope f("vfio_pci_zap_and_down_write_memory_lock");
    const VfioContext& ctx = vdev.ctx();
    if (ctx.bug(Bug::kZapBeforeLock)) {
      co_await vfio_pci_zap_bars(vdev);  // reordered: a fault may re-insert before down_write
      co_await vdev.memory_lock.LockWrite();
      co_return;
    }
    co_await vdev.memory_lock.LockWrite();
    if (!ctx.bug(Bug::kNoZapOnRevoke)) co_await vfio_pci_zap_bars(vdev);
  }

  sim::Task<void> ZapDmaBuf(VfioPciDmaBuf&) override { co_return; }
  bool CanMmapBars(const VfioContext&) const override { return true; }
  bool exporter_mmap() const override { return false; }
  bool revoke_ioctl() const override { return false; }
};

}  // namespace

const mm::VmOps& LegacyVmOps() {
  static const LegacyVmOpsImpl ops;
  return ops;
}

std::unique_ptr<BarMapping> MakeLegacyBarMapping() { return std::make_unique<LegacyBarMapping>(); }

}  // namespace vfiosim::vfio
