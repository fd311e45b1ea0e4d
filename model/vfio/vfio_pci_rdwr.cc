#include "model/vfio/vfio_pci_rdwr.h"

#include "model/errno.h"

namespace vfiosim::vfio {

// Since bc93b9ae0151 "vfio-pci: Avoid recursive read-lock usage" (v5.9),
// vfio_pci_ioread32() holds memory_lock (read) around the ioread alone and the
// copy_to_user() runs without it. Before it, vfio_pci_bar_rw() held the lock
// across the whole transfer: a user buffer inside a BAR mmap of the same device
// faults, and the fault handler takes memory_lock for read again, which
// deadlocks against a writer (a MEM=0 config write) queued in between.
sim::Task<int64_t> vfio_pci_bar_read(VfioPciCoreDevice& vdev, int bar, uint64_t offset,
                                     const CopyToUser& copy_to_user) {
  sim::FuncScope f("vfio_pci_bar_rw");
  pci::PciDevice& pdev = vdev.pdev();
  if (bar < 0 || bar >= pci::kNumBars || !pdev.bars[bar].present || pdev.bars[bar].io ||
      offset >= pdev.bars[bar].size || pdev.bars[bar].size - offset < 4 || (offset & 3))
    co_return -kEINVAL;
  const bool holds_across_copy = vdev.ctx().bug(Bug::kBarRwHoldsMemoryLock);
  uint32_t value;
  {
    sim::FuncScope r("vfio_pci_ioread32");
    co_await vdev.memory_lock.LockRead();
    if (!vdev.memory_enabled()) {
      vdev.memory_lock.UnlockRead();
      co_return -kEIO;
    }
    co_await sim::Access(pdev.mmio(), false, "mmio");
    if (VfioObserver* o = vdev.ctx().observer) o->OnMmioAccess(pdev, bar, offset, "pread");
    value = pdev.ReadBar(bar, offset);
    if (!holds_across_copy) vdev.memory_lock.UnlockRead();
  }
  const int r = co_await copy_to_user(value);
  if (holds_across_copy) vdev.memory_lock.UnlockRead();
  co_return r ? int64_t{r} : int64_t{value};
}

}  // namespace vfiosim::vfio
