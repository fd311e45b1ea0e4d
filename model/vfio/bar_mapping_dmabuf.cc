// DmabufBarMapping: "vfio/pci: Convert BAR mmap() to use a DMABUF" (Matt Evans,
// 2026): vfio_pci_core_mmap() -> vfio_pci_core_mmap_prep_dmabuf(), the fault
// through vfio_pci_dma_buf_find_pfn(), and the zap inside vfio_pci_dma_buf_move().
#include "model/errno.h"
#include "model/mm/memory.h"
#include "model/vfio/bar_mapping.h"
#include "model/vfio/vfio_pci_core.h"
#include "absl/strings/str_cat.h"
#include "sim/core/thread.h"
#include "sim/core/trace_note.h"

namespace vfiosim::vfio {

namespace {

using mm::VmFaultResult;

// The trace line that says why the fault gives SIGBUS (status read under resv
// or memory_lock by the caller).
void NoteSigbus(const VfioPciDmaBuf& priv, bool gone, const char* where) {
  if (!sim::Tracing()) return;
  if (gone) {
    sim::TraceNote(absl::StrCat("SIGBUS: dma-buf cleaned up (", priv.revoke_why, ")", where));
    return;
  }
  const bool perm = priv.status() == RevokeStatus::kPermRevoked;
  sim::TraceNote(absl::StrCat("SIGBUS: ", perm ? "permanently" : "temporarily", " revoked (", priv.revoke_why, ")",
                              where));
}

class DmabufVmOpsImpl final : public mm::VmOps {
 public:
  bool has_huge_fault() const override { return true; }
  const char* name() const override { return "vfio_pci_mmap_ops(dmabuf)"; }

  // vfio_pci_mmap_huge_fault() of the patch.
  sim::Task<VmFaultResult> HugeFault(mm::VmFault vmf, int order) const override {
    sim::FuncScope f("vfio_pci_mmap_huge_fault");
    mm::Vma& vma = *vmf.vma;
    auto& priv = *static_cast<VfioPciDmaBuf*>(vma.vm_private_data);
    dmabuf::DmaBuf& buf = *priv.dmabuf;
    // The VFIO context is the machine's; reach it through the original device.
    const VfioContext& ctx = priv.orig_vdev->ctx();
    const bool check_revoked = !ctx.bug(Bug::kFaultIgnoresRevoked);
    const bool inversion = ctx.bug(Bug::kLockInversion);

    // vdev = READ_ONCE(priv->vdev) under the resv lock; SIGBUS if revoked/gone.
    // The section only reads and ends within this step (a read section,
    // sync.h), except under lock-inversion, which holds resv on.
    co_await (inversion ? buf.resv.Lock() : buf.resv.LockReadSection());
    priv.TouchStatus(false);
    VfioPciCoreDevice* vdev = priv.vdev;
    // The fault-waits-temp-revoke fix (vfiosim's proposal, docs/findings.md): a
    // temporarily revoked buffer (MEM=0, reset, low power in progress) is not
    // refused here; the fault goes on to memory_lock, which the revoker holds,
    // and re-checks there, as the legacy fault does. Only a permanently revoked
    // or cleaned-up buffer gets SIGBUS at once.
    const bool wait_temp = ctx.fixes.fault_waits_temp_revoke && vdev && priv.status() == RevokeStatus::kTempRevoked;
    if (!vdev || (check_revoked && priv.revoked() && !wait_temp)) {
      NoteSigbus(priv, !vdev, "");
      buf.resv.Unlock();
      co_return VmFaultResult::kSigbus;
    }
    vdev->registrations++;  // vfio_device_try_get_registration()
    if (!inversion) buf.resv.Unlock();

    const bool locked = !ctx.bug(Bug::kFaultWithoutLock);
    if (locked) {
      co_await vdev->memory_lock.LockRead();  // lock-inversion: while holding resv
    } else {
      co_await sim::Access(&buf.resv, false, "revoked");  // racy re-read
    }
    VmFaultResult ret;
    // "Revocation status must be re-read, under memory_lock".
    if (check_revoked && priv.revoked()) {
      NoteSigbus(priv, false, " under memory_lock");
      ret = VmFaultResult::kSigbus;
    } else {
      // vfio_pci_dma_buf_find_pfn(); each huge-fault mutant leaves one check out.
      const dmabuf::VmaWindow w{vma.vm_start, vma.vm_end, vma.vm_pgoff};
      const dmabuf::FindPfnChecks checks{.window = !ctx.bug(Bug::kHugeFaultNoRangeCheck),
                                         .aligned = !ctx.bug(Bug::kHugeFaultUnalignedPfn)};
      absl::StatusOr<uint64_t> pfn = priv.finder->Find(w, vmf.address, static_cast<unsigned>(order), checks);
      if (!pfn.ok()) {
        ret = dmabuf::IsFallback(pfn.status()) ? VmFaultResult::kFallback : VmFaultResult::kSigbus;
        if (ret == VmFaultResult::kSigbus && sim::Tracing())
          sim::TraceNote(absl::StrCat("SIGBUS: find_pfn: ", pfn.status().message()));
      } else
        ret = co_await vfio_pci_vmf_insert_pfn(*vdev, vmf, *pfn, order);
    }
    if (locked) vdev->memory_lock.UnlockRead();
    if (inversion) buf.resv.Unlock();
    vdev->registrations--;  // vfio_device_put_registration()
    co_return ret;
  }
};

class DmabufBarMapping final : public BarMapping {
 public:
  sim::Task<int> MmapBar(VfioPciCoreDevice& vdev, mm::Vma& vma, int index, uint64_t pgoff,
                         uint64_t req_len) override {
    const VfioContext& ctx = vdev.ctx();
    if (!ctx.config.p2pdma_provider) {
      // pcim_p2pdma_provider() is NULL without CONFIG_PCI_P2PDMA: the review's
      // regression. The legacy-fallback fix maps the BAR the old way instead.
      if (ctx.fixes.legacy_fallback) {
        vfio_pci_setup_vma(vma, LegacyVmOps(), &vdev);
        co_return 0;
      }
      co_return -kEINVAL;
    }
    co_return co_await vfio_pci_core_mmap_prep_dmabuf(vdev, vma, index, pgoff, req_len);
  }

  // vfio_pci_core_mmap_prep_dmabuf(): a single-range dma-buf covering the BAR up
  // to the end of the mapping becomes the VMA's file and holds the device file.
  static sim::Task<int> vfio_pci_core_mmap_prep_dmabuf(VfioPciCoreDevice& vdev, mm::Vma& vma, int index,
                                                       uint64_t pgoff, uint64_t req_len) {
    sim::FuncScope f("vfio_pci_core_mmap_prep_dmabuf");
    VfioPciDmaBuf* priv = vdev.NewDmaBufPriv();
    priv->bar = index;
    priv->SetRanges({{vdev.pdev().bars[index].start, (pgoff << 12) + req_len}});
    priv->from_mmap = true;
    co_await vfio_pci_dma_buf_register(vdev, *priv, "memory disabled at mmap");
    dmabuf::DmaBuf* buf = priv->dmabuf;
    // vma_set_file(vma, priv->dmabuf->file): the vma's device-file reference
    // moves to the dma-buf; the export's reference becomes the vma's.
    priv->device_file = vma.vm_file;
    vma.vm_file = buf;
    vma.vm_pgoff = pgoff;
    vfio_pci_setup_vma(vma, DmabufVmOps(), priv);
    co_return 0;
  }

  sim::Task<void> ZapAndDownWriteMemoryLock(VfioPciCoreDevice& vdev) override {
    const VfioContext& ctx = vdev.ctx();
    // Under the legacy-fallback fix the BAR mmaps of a kernel without a P2PDMA
    // provider are legacy ones: no dma-buf, so only the device inode's zap
    // (vfio_pci_zap_bars(), which the patch otherwise removes) reaches them.
    const bool fallback_mappings = ctx.fixes.legacy_fallback && !ctx.config.p2pdma_provider;
    if (ctx.bug(Bug::kZapBeforeLock)) {
      // The dma-buf zap moved out of vfio_pci_dma_buf_move() to before
      // down_write, and so did the fallback mappings' zap.
      // The list is read under memory_lock (read), dropped before the zaps.
      co_await vdev.memory_lock.LockRead();
      vdev.TouchMemoryLocked(false, "dmabufs");
      const std::vector<VfioPciDmaBuf*> list(vdev.dmabufs.begin(), vdev.dmabufs.end());
      vdev.memory_lock.UnlockRead();
      for (VfioPciDmaBuf* priv : list) co_await ZapDmaBuf(*priv);
      if (fallback_mappings) co_await vfio_pci_zap_bars(vdev);
      co_await vdev.memory_lock.LockWrite();
      co_return;
    }
    co_await vdev.memory_lock.LockWrite();
    if (fallback_mappings && !ctx.bug(Bug::kNoZapOnRevoke)) co_await vfio_pci_zap_bars(vdev);
  }

  sim::Task<void> ZapDmaBuf(VfioPciDmaBuf& priv) override {
    sim::FuncScope f("vfio_pci_dma_buf_move(zap)");
    co_await mm::unmap_mapping_range(priv.dmabuf->mapping, 0, priv.size);
  }
  bool CanMmapBars(const VfioContext& ctx) const override {
    return ctx.config.p2pdma_provider || ctx.fixes.legacy_fallback;
  }
  bool exporter_mmap() const override { return true; }
  bool revoke_ioctl() const override { return true; }
};

}  // namespace

const mm::VmOps& DmabufVmOps() {
  static const DmabufVmOpsImpl ops;
  return ops;
}

std::unique_ptr<BarMapping> MakeDmabufBarMapping() { return std::make_unique<DmabufBarMapping>(); }

}  // namespace vfiosim::vfio
