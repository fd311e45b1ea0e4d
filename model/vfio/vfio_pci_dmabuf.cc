// drivers/vfio/pci/vfio_pci_dmabuf.c: the dma-buf exporter of a VFIO PCI device
// (mainline since v6.19, plus the patch's mmap and permanent revoke).
#include <algorithm>
#include <string>

#include "model/errno.h"
#include "model/vfio/bar_mapping.h"
#include "model/vfio/vfio_pci_core.h"
#include "sim/core/check.h"
#include "sim/core/thread.h"

namespace vfiosim::vfio {
namespace {

class VfioDmaBufOps final : public dmabuf::DmaBufOps {
 public:
  // vfio_pci_dma_buf_attach(): static importers have no peer2peer.
  int Attach(dmabuf::DmaBuf& buf, dmabuf::Attachment& att) override {
    auto& priv = *static_cast<VfioPciDmaBuf*>(buf.priv());
    if (!att.peer2peer) return -kEOPNOTSUPP;
    if (priv.revoked()) return -kENODEV;
    return 0;
  }
  bool HasPin() const override { return true; }
  int Pin(dmabuf::Attachment&) override { return -kEOPNOTSUPP; }  // pinning is refused
  // vfio_pci_dma_buf_map(): dma_resv held; revoked -> -ENODEV.
  int MapDmaBuf(dmabuf::Attachment& att) override {
    auto& priv = *static_cast<VfioPciDmaBuf*>(att.dmabuf->priv());
    if (priv.revoked()) return -kENODEV;
    att.sgt = priv.phys_vec;  // dma_buf_phys_vec_to_sgt()
    return 0;
  }
  void UnmapDmaBuf(dmabuf::Attachment& att) override { att.sgt.clear(); }  // dma_buf_free_sgt()

  // vfio_pci_dma_buf_release().
  sim::Task<void> Release(dmabuf::DmaBuf& buf) override {
    sim::FuncScope f("vfio_pci_dma_buf_release");
    auto& priv = *static_cast<VfioPciDmaBuf*>(buf.priv());
    // `if (priv->vdev) { down_write(&priv->vdev->memory_lock); ... }`: the
    // kernel reads priv->vdev lock-free, ordered after cleanup's write by the
    // file count; the model reads it under the resv lock (which guards it with
    // memory_lock). Not under memory_lock: cleanup may drop the last reference
    // while it holds memory_lock, and then vdev is NULL and nothing is taken.
    co_await buf.resv.LockReadSection();  // reads only, unlocked within the step (sync.h)
    priv.TouchStatus(false);
    VfioPciCoreDevice* vdev = priv.vdev;
    buf.resv.Unlock();
    if (vdev) {
      co_await vdev->memory_lock.LockWrite();
      vdev->TouchMemoryLocked(true, "dmabufs");
      if (priv.on_list) {
        vdev->dmabufs.remove(&priv);
        priv.on_list = false;
      }
      vdev->memory_lock.UnlockWrite();
      vdev->registrations--;  // vfio_device_put_registration()
    }
    priv.freed = true;
    if (mm::File* df = priv.device_file) {
      priv.device_file = nullptr;
      co_await df->fput();
    }
  }

  bool HasMmap() const override { return has_mmap_; }
  // vfio_pci_dma_buf_mmap() (the patch).
  sim::Task<int> Mmap(dmabuf::DmaBuf& buf, mm::Vma& vma) override {
    sim::FuncScope f("vfio_pci_dma_buf_mmap");
    auto& priv = *static_cast<VfioPciDmaBuf*>(buf.priv());
    // `if (priv->revoked) return -ENODEV;`: a lock-free read of the status.
    co_await sim::Access(&buf.resv, false, "revoked");
    if (priv.revoked()) co_return -kENODEV;
    if (!vma.shared) co_return -kEINVAL;
    vfio_pci_setup_vma(vma, DmabufVmOps(), &priv);
    co_return 0;
  }

  explicit VfioDmaBufOps(bool has_mmap) : has_mmap_(has_mmap) {}

 private:
  bool has_mmap_;
};

VfioDmaBufOps ops_without_mmap(false);
VfioDmaBufOps ops_with_mmap(true);

}  // namespace

void VfioPciDmaBuf::SetRanges(std::vector<dmabuf::PhysRange> ranges) {
  uint64_t total = 0;
  for (const auto& r : ranges) total += r.len;
  size = total;
  dmabuf->set_size(total);
  auto f = dmabuf::MakePfnFinder(orig_vdev->ctx().find_pfn, ranges);
  VFIOSIM_CHECK(f.ok(), "bad dma-buf ranges: %s", std::string(f.status().message()).c_str());
  finder = *std::move(f);
  phys_vec = std::move(ranges);
}

void VfioPciDmaBuf::WriteState(sim::StateWriter& w) const {
  w.Ref(this);
  w.I64(id);
  w.Ref(static_cast<const mm::File*>(dmabuf));  // priv->dmabuf
  w.Ref(vdev);  // priv->vdev (NULL after cleanup)
  w.Ref(orig_vdev);
  w.I64(bar);
  w.U64(phys_vec.size());  // priv->phys_vec[]
  for (const dmabuf::PhysRange& r : phys_vec) {
    w.U64(r.paddr);
    w.U64(r.len);
  }
  w.U64(size);
  w.Bool(on_list);    // on vdev->dmabufs
  w.Bool(from_mmap);
  w.Ref(device_file);  // the device file a BAR-mmap dma-buf holds
  w.Bool(freed);       // kfree(priv) ran
  // The finder is built from phys_vec and the machine's finder kind (config).
  w.Bool(finder != nullptr);
  w.Begin(this);  // read after TouchStatus() only
  w.U64(static_cast<uint64_t>(status_));  // priv->status (revoked)
  w.End();
  w.Begin(&revoke_why);  // read by trace notes only: no step touches it
  w.Str(revoke_why ? revoke_why : "");
  w.End();
}

void VfioPciDmaBuf::TouchStatus(bool write, bool returning) const {
  const sim::Guard g{&dmabuf->resv, &orig_vdev->memory_lock, &dmabuf->resv};
  if (returning) sim::TouchReturning(this, write, "dma-buf revoke status", g);
  else sim::Touch(this, write, "dma-buf revoke status", g);
}

VfioPciDmaBuf* VfioPciCoreDevice::NewDmaBufPriv() {
  VfioPciDmaBuf* priv = &privs.emplace_back();
  priv->id = (*next_dmabuf_id)++;
  priv->vdev = this;
  priv->orig_vdev = this;
  dmabuf::DmaBufOps* ops = bar_mapping_->exporter_mmap() ? &ops_with_mmap : &ops_without_mmap;
  priv->dmabuf = &bufs.emplace_back(priv->id, ops, priv, 0);
  return priv;
}

sim::Task<void> vfio_pci_dma_buf_move(VfioPciCoreDevice& vdev, bool revoked, const char* why, bool zap) {
  sim::FuncScope f("vfio_pci_dma_buf_move");
  const VfioContext& ctx = vdev.ctx();
  vdev.TouchMemoryLocked(false, "dmabufs");
  const std::vector<VfioPciDmaBuf*> list(vdev.dmabufs.begin(), vdev.dmabufs.end());
  for (VfioPciDmaBuf* priv : list) {
    co_await sim::Access(priv->dmabuf, true, "f_count");
    if (!priv->dmabuf->get_file_active()) continue;  // release is racing
    if (priv->revoked() != revoked && priv->status() != RevokeStatus::kPermRevoked) {
      // __vfio_pci_dma_buf_revoke(): a revoke sets TEMP_REVOKED and notifies in
      // one resv section; an un-revoke notifies importers while the status is
      // still TEMP_REVOKED and sets OK in a second section (so an importer that
      // maps in between gets -ENODEV).
      co_await priv->dmabuf->resv.Lock();
      if (revoked) {
        priv->set_status(RevokeStatus::kTempRevoked);
        priv->revoke_why = why;
      }
      co_await dmabuf::dma_buf_move_notify(*priv->dmabuf);
      priv->dmabuf->resv.Unlock();
      if (revoked && zap && !ctx.bug(Bug::kNoZapOnRevoke) && !ctx.bug(Bug::kZapBeforeLock))
        co_await vdev.bar_mapping().ZapDmaBuf(*priv);
      if (!revoked) {
        co_await priv->dmabuf->resv.Lock();
        priv->set_status(RevokeStatus::kOk);
        priv->revoke_why = why;
        priv->dmabuf->resv.Unlock();
      }
    }
    // fput(): if the buffer's other references went away meanwhile (a close or
    // munmap racing), this is the last one, and ->release (which takes
    // memory_lock) must not run here: task_work runs it after up_write.
    co_await sim::Access(priv->dmabuf, true, "f_count");
    if (priv->dmabuf->fput_deferring_release()) {
      vdev.TouchMemoryLocked(true, "deferred_release");
      vdev.deferred_release.push_back(priv->dmabuf);
    }
  }
}

sim::Task<void> vfio_pci_memory_up_write(VfioPciCoreDevice& vdev) {
  std::vector<mm::File*> work;
  vdev.TouchMemoryLocked(true, "deferred_release");
  work.swap(vdev.deferred_release);  // still under memory_lock
  vdev.memory_lock.UnlockWrite();
  for (mm::File* f : work) co_await f->run_deferred_release();  // ____fput()
}

sim::Task<void> vfio_pci_dma_buf_cleanup(VfioPciCoreDevice& vdev) {
  sim::FuncScope f("vfio_pci_dma_buf_cleanup");
  const VfioContext& ctx = vdev.ctx();
  co_await vdev.memory_lock.LockWrite();
  vdev.TouchMemoryLocked(false, "dmabufs");
  const std::vector<VfioPciDmaBuf*> list(vdev.dmabufs.begin(), vdev.dmabufs.end());
  for (VfioPciDmaBuf* priv : list) {
    co_await sim::Access(priv->dmabuf, true, "f_count");
    if (!priv->dmabuf->get_file_active()) continue;
    co_await priv->dmabuf->resv.Lock();
    vdev.TouchMemoryLocked(true, "dmabufs");
    vdev.dmabufs.remove(priv);
    priv->on_list = false;
    priv->TouchStatus(true);
    priv->vdev = nullptr;
    priv->set_status(RevokeStatus::kPermRevoked);
    priv->revoke_why = "device closed";
    co_await dmabuf::dma_buf_move_notify(*priv->dmabuf);
    priv->dmabuf->resv.Unlock();
    vdev.registrations--;
    if (!ctx.bug(Bug::kNoZapOnCleanup)) co_await vdev.bar_mapping().ZapDmaBuf(*priv);
    co_await priv->dmabuf->fput();
  }
  vdev.memory_lock.UnlockWrite();
}

sim::Task<void> vfio_pci_dma_buf_register(VfioPciCoreDevice& vdev, VfioPciDmaBuf& priv, const char* why) {
  vdev.registrations++;
  co_await vdev.memory_lock.LockWrite();
  co_await priv.dmabuf->resv.Lock();
  priv.set_status(vdev.memory_enabled() ? RevokeStatus::kOk : RevokeStatus::kTempRevoked);
  priv.revoke_why = why;
  vdev.TouchMemoryLocked(true, "dmabufs");
  vdev.dmabufs.push_back(&priv);
  priv.on_list = true;
  priv.dmabuf->resv.Unlock();
  vdev.memory_lock.UnlockWrite();
}

sim::Task<dmabuf::DmaBuf*> vfio_pci_core_feature_dma_buf(VfioPciCoreDevice& vdev, int bar,
                                                          std::vector<ExportRange> ranges, int* err) {
  sim::FuncScope f("vfio_pci_core_feature_dma_buf");
  const VfioContext& ctx = vdev.ctx();
  *err = 0;
  if (!ctx.config.vfio_pci_dmabuf) {  // the stub without CONFIG_VFIO_PCI_DMABUF
    *err = kENOTTY;
    co_return nullptr;
  }
  if (bar < 0 || bar >= kRomRegionIndex) {
    *err = kENODEV;
    co_return nullptr;
  }
  const pci::PciBar& b = vdev.pdev().bars[bar];
  if (ranges.empty()) ranges.push_back({0, b.size});
  // validate_dmabuf_input()
  uint64_t total = 0;
  for (const ExportRange& r : ranges) {
    if (r.len == 0 || (r.offset & 4095) || (r.len & 4095)) {
      *err = kEINVAL;
      co_return nullptr;
    }
    if (total + r.len < total) {  // check_add_overflow() -> -EINVAL
      *err = kEINVAL;
      co_return nullptr;
    }
    total += r.len;
  }
  // "Check BAR resources before exporting a DMABUF"; pcim_p2pdma_provider().
  if (!b.present || b.io || !ctx.config.p2pdma_provider) {
    *err = kEINVAL;
    co_return nullptr;
  }
  std::vector<dmabuf::PhysRange> phys;
  for (const ExportRange& r : ranges) {  // vfio_pci_core_fill_phys_vec()
    if (r.offset + r.len < r.offset) {
      *err = kEOVERFLOW;
      co_return nullptr;
    }
    if (r.offset + r.len > b.size) {
      *err = kEINVAL;
      co_return nullptr;
    }
    phys.push_back({b.start + r.offset, r.len});
  }
  // vfio_device_try_get_registration() cannot fail here: the caller holds the
  // device fd, and the model never unregisters a device.
  VfioPciDmaBuf* priv = vdev.NewDmaBufPriv();
  priv->bar = bar;
  priv->SetRanges(std::move(phys));
  co_await vfio_pci_dma_buf_register(vdev, *priv, "memory disabled at export");
  co_return priv->dmabuf;
}

sim::Task<int> vfio_pci_dma_buf_revoke_ioctl(VfioPciCoreDevice& vdev, dmabuf::DmaBuf& buf) {
  sim::FuncScope f("vfio_pci_dma_buf_revoke");
  const VfioContext& ctx = vdev.ctx();
  if (!vdev.bar_mapping().revoke_ioctl()) co_return -kENOTTY;
  co_await vdev.memory_lock.LockWrite();
  vdev.TouchMemoryLocked(false, "dmabufs");
  auto it = std::find_if(vdev.dmabufs.begin(), vdev.dmabufs.end(),
                         [&](VfioPciDmaBuf* p) { return p->dmabuf == &buf; });
  // vfio_pci_dma_buf_revoke(): priv->vdev must be this device (another
  // device's buffer, or one cleaned up at close: -ENODEV); an already
  // permanently revoked buffer is -EBADFD. A buffer is on vdev->dmabufs
  // exactly while priv->vdev == vdev (the caller's fd keeps it from release).
  if (it == vdev.dmabufs.end()) {
    vdev.memory_lock.UnlockWrite();
    co_return -kENODEV;
  }
  VfioPciDmaBuf* priv = *it;
  if (priv->status() == RevokeStatus::kPermRevoked) {
    vdev.memory_lock.UnlockWrite();
    co_return -kEBADFD;
  }
  {
    const bool was_revoked = priv->revoked();
    co_await buf.resv.Lock();
    priv->set_status(RevokeStatus::kPermRevoked);
    priv->revoke_why = "revoke ioctl";
    if (!was_revoked) co_await dmabuf::dma_buf_move_notify(buf);  // TEMP->PERM does not notify again
    buf.resv.Unlock();
    if (!was_revoked && !ctx.bug(Bug::kNoZapOnRevoke)) co_await vdev.bar_mapping().ZapDmaBuf(*priv);
  }
  vdev.memory_lock.UnlockWrite();
  co_return 0;
}

}  // namespace vfiosim::vfio
