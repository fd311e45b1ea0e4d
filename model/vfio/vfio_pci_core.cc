// drivers/vfio/pci/vfio_pci_core.c: open/close, mmap checks, region info, reset.
#include "model/vfio/vfio_pci_core.h"

#include "absl/strings/str_cat.h"
#include "model/errno.h"
#include "model/lock_class.h"
#include "model/vfio/bar_mapping.h"
#include "sim/core/thread.h"

namespace vfiosim::vfio {

VfioPciCoreDevice::VfioPciCoreDevice(pci::PciDevice* pdev, VfioContext* ctx)
    : name_(pdev->name()),
      dev_set_lock(LockClassOf(LockClass::kDevSetLock), name_),
      memory_lock(LockClassOf(LockClass::kMemoryLock), name_),
      inode_mapping(absl::StrCat(pdev->name(), ".inode")),
      pdev_(pdev),
      ctx_(ctx),
      bar_mapping_(MakeBarMapping(ctx->variant)) {}

VfioPciCoreDevice::~VfioPciCoreDevice() = default;

void VfioDeviceFile::WriteState(sim::StateWriter& w) const {
  w.Ref(static_cast<const mm::File*>(this));
  mm::File::WriteState(w);
}

void VfioPciCoreDevice::WriteState(sim::StateWriter& w) const {
  w.Ref(this);
  w.Lock(dev_set_lock);  // vdev->vdev.dev_set->lock
  w.Lock(memory_lock);   // vdev->memory_lock
  inode_mapping.WriteState(w);
  w.I64(open_count);  // vdev->vdev.open_count
  w.Begin(&vconfig_command);  // read after TouchConfig() only
  w.U64(vconfig_command);  // PCI_COMMAND in vdev->vconfig
  w.Bool(pm_runtime_engaged);  // vdev->pm_runtime_engaged
  w.End();
  for (bool b : bar_mmap_supported) w.Bool(b);  // vdev->bar_mmap_supported[], set at enable
  // vdev->vdev.refcount: no step reads it (the model's
  // vfio_device_try_get_registration() cannot fail), so no step touches it.
  w.Begin(&registrations);
  w.I64(registrations.load(std::memory_order_relaxed));
  w.End();
  w.U64(dmabufs.size());  // vdev->dmabufs, in list order
  for (const VfioPciDmaBuf* p : dmabufs) w.Ref(p);
  w.U64(deferred_release.size());  // task_work of __fput()s queued under memory_lock
  for (const mm::File* f : deferred_release) w.Ref(f);
  w.U64(vma_list.size());  // vdev->vma_list (fork-escapes-zap mutant)
  for (const mm::Vma* v : vma_list) w.Ref(v);
  // (vma_lock is a real mutex held only inside one step: never held at a point.)
  w.U64(files.size());
  for (const VfioDeviceFile& f : files) f.WriteState(w);
  w.U64(privs.size());
  for (const VfioPciDmaBuf& p : privs) p.WriteState(w);
  w.U64(bufs.size());
  for (const dmabuf::DmaBuf& b : bufs) b.WriteState(w);
}

VfioDeviceFile* VfioPciCoreDevice::NewDeviceFile() { return &files.emplace_back(this, &inode_mapping); }

// vfio_pci_core_enable(): pci_enable_device() turns memory decode on, D0;
// vfio_pci_probe_mmaps() decides which BARs may be mmapped (a function of the
// configuration alone: bar_mmap_supported is not shared state that changes).
// The model changes the device state under memory_lock (write), as every other
// writer of vconfig and the power state does (docs/fidelity.md).
static sim::Task<void> vfio_pci_core_enable(VfioPciCoreDevice& vdev) {
  sim::FuncScope f("vfio_pci_core_enable");
  pci::PciDevice& pdev = vdev.pdev();
  co_await vdev.memory_lock.LockWrite();
  co_await sim::Access(pdev.mmio(), true, "mmio");
  pdev.TouchMmio(true, &vdev.memory_lock);
  vdev.TouchConfig(true);
  pdev.power = pci::PowerState::kD0;
  pdev.WriteCommandMem(true);  // pci_enable_device(); a VF's MEM stays 0
  vdev.vconfig_command = pdev.command;
  vdev.pm_runtime_engaged = false;
  for (int i = 0; i < pci::kNumBars; ++i) {
    const pci::PciBar& b = pdev.bars[i];
    vdev.bar_mmap_supported[i] = vdev.ctx().config.vfio_pci_mmap && b.present && !b.io && b.size >= 4096;
  }
  vdev.memory_lock.UnlockWrite();
}

// models vfio_pci_core_disable(), drivers/vfio/pci/vfio_pci_core.c: stop the
// device and let it idle in D3hot. Simplified to one step with memory decode
// off; the kernel's pci_restore_state() may turn decode back on (fidelity.md).
static sim::Task<void> vfio_pci_core_disable(VfioPciCoreDevice& vdev) {
  sim::FuncScope f("vfio_pci_core_disable");
  pci::PciDevice& pdev = vdev.pdev();
  co_await vdev.memory_lock.LockWrite();
  co_await sim::Access(pdev.mmio(), true, "mmio");
  pdev.TouchMmio(true, &vdev.memory_lock);
  vdev.TouchConfig(true);
  pdev.command &= static_cast<uint16_t>(~(pci::kCommandMemory | pci::kCommandMaster));
  pdev.power = pci::PowerState::kD3hot;
  vdev.vconfig_command = pdev.command;
  vdev.pm_runtime_engaged = false;
  vdev.memory_lock.UnlockWrite();
}

sim::Task<VfioDeviceFile*> vfio_device_open(VfioPciCoreDevice& vdev) {
  sim::FuncScope f("vfio_df_open");
  co_await vdev.dev_set_lock.Lock();
  vdev.TouchOpenCount(true);
  if (vdev.open_count++ == 0) co_await vfio_pci_core_enable(vdev);
  // Allocated under dev_set->lock (no scheduling point in between, so the
  // explorer sees no difference): the device's file table is not shared by
  // concurrent opens in free-running mode.
  VfioDeviceFile* file = vdev.NewDeviceFile();
  vdev.dev_set_lock.Unlock();
  co_return file;
}

sim::Task<void> vfio_pci_core_close_device(VfioPciCoreDevice& vdev) {
  sim::FuncScope f("vfio_pci_core_close_device");
  if (vdev.ctx().bug(Bug::kCloseBeforeCleanup)) {
    co_await vfio_pci_core_disable(vdev);  // before d97708701434
    co_await vfio_pci_dma_buf_cleanup(vdev);
    co_return;
  }
  co_await vfio_pci_dma_buf_cleanup(vdev);
  co_await vfio_pci_core_disable(vdev);
}

sim::Task<void> VfioDeviceFile::Release() {
  sim::FuncScope f("vfio_device_fops_release");
  co_await vdev_->dev_set_lock.Lock();
  vdev_->TouchOpenCount(true);
  if (--vdev_->open_count == 0) co_await vfio_pci_core_close_device(*vdev_);
  vdev_->dev_set_lock.Unlock();
}

bool vfio_pci_region_info_mmap(const VfioPciCoreDevice& vdev, int bar) {
  if (bar < 0 || bar >= pci::kNumBars) return false;
  const pci::PciBar& b = vdev.pdev().bars[bar];
  if (!b.present || b.io || !vdev.bar_mmap_supported[bar]) return false;
  // hide-mmap-flag: don't advertise what vfio_pci_core_mmap() cannot do.
  const VfioContext& ctx = vdev.ctx();
  if (ctx.fixes.hide_mmap_flag && !vdev.bar_mapping().CanMmapBars(ctx)) return false;
  return true;
}

// vfio_pci_core_mmap(): the checks in kernel order, then the variant's tail.
sim::Task<int> VfioDeviceFile::Mmap(mm::Vma& vma) {
  sim::FuncScope f("vfio_pci_core_mmap");
  VfioPciCoreDevice& vdev = *vdev_;
  const uint64_t index = vma.vm_pgoff >> kPgoffIndexShift;
  if (index >= kNumRegions) co_return -kEINVAL;
  if (vma.vm_end < vma.vm_start) co_return -kEINVAL;
  if (!vma.shared) co_return -kEINVAL;
  if (index >= kRomRegionIndex) co_return -kEINVAL;
  if (!vdev.bar_mmap_supported[index]) co_return -kEINVAL;
  const pci::PciBar& b = vdev.pdev().bars[index];
  const uint64_t phys_len = (b.size + 4095) & ~uint64_t{4095};
  const uint64_t req_len = vma.vm_end - vma.vm_start;
  const uint64_t pgoff = vma.vm_pgoff & kPgoffMask;
  const uint64_t req_start = pgoff << 12;
  if (req_start + req_len > phys_len || req_start + req_len < req_start) co_return -kEINVAL;
  co_return co_await vdev.bar_mapping().MmapBar(vdev, vma, static_cast<int>(index), pgoff, req_len);
}

// vfio_pci_ioctl_reset(): zap+lock, D0, revoke, pci_try_reset_function(),
// un-revoke if memory is enabled, unlock.
sim::Task<int> vfio_pci_ioctl_reset(VfioPciCoreDevice& vdev) {
  sim::FuncScope f("vfio_pci_ioctl_reset");
  pci::PciDevice& pdev = vdev.pdev();
  if (!pdev.reset_works()) co_return -kEINVAL;
  co_await vdev.bar_mapping().ZapAndDownWriteMemoryLock(vdev);
  {
    sim::FuncScope s("vfio_pci_set_power_state");
    co_await sim::Access(pdev.mmio(), true, "mmio");
    pdev.TouchMmio(true, &vdev.memory_lock);
    pdev.power = pci::PowerState::kD0;
  }
  co_await vfio_pci_dma_buf_move(vdev, true, "reset");
  {
    sim::FuncScope r("pci_try_reset_function");
    co_await sim::Access(pdev.mmio(), true, "mmio");
    pdev.SaveState();
    pdev.in_reset = true;
    pdev.command = 0;  // FLR clears the command register
    co_await sim::Access(pdev.mmio(), true, "mmio");
    pdev.RestoreState();
    pdev.in_reset = false;
    pdev.TouchMmio(true);
    for (pci::PciBar& b : pdev.bars) b.mem.clear();  // device state is lost
  }
  if (vdev.memory_enabled()) co_await vfio_pci_dma_buf_move(vdev, false);
  co_await vfio_pci_memory_up_write(vdev);
  co_return 0;
}

}  // namespace vfiosim::vfio
