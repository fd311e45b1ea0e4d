#include "model/dmabuf/dma_buf.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "model/errno.h"
#include "model/lock_class.h"
#include "sim/core/thread.h"

namespace vfiosim::dmabuf {

DmaBuf::DmaBuf(int id, DmaBufOps* ops, void* priv, uint64_t size)
    : mm::File(Kind::kDmaBuf, &mapping),
      id_(id),
      name_(absl::StrCat("dmabuf", id)),
      resv(LockClassOf(LockClass::kDmaResv), name_),
      mapping(name_),
      ops_(ops),
      priv_(priv),
      size_(size) {}

sim::Task<int> DmaBuf::Mmap(mm::Vma& vma) {
  sim::FuncScope f("dma_buf_mmap_internal");
  if (!ops_->HasMmap()) co_return -kEINVAL;
  const uint64_t pages = vma.size() >> 12;
  if (vma.vm_pgoff + pages < vma.vm_pgoff) co_return -kEOVERFLOW;
  if (vma.vm_pgoff + pages > (size_ >> 12)) co_return -kEINVAL;
  co_return co_await ops_->Mmap(*this, vma);
}

sim::Task<void> DmaBuf::Release() {
  sim::FuncScope f("dma_buf_release");
  co_await ops_->Release(*this);
}

void DmaBuf::WriteState(sim::StateWriter& w) const {
  w.Ref(static_cast<const mm::File*>(this));
  mm::File::WriteState(w);
  w.I64(id_);
  w.Ref(priv_);     // dmabuf->priv
  w.U64(size_);     // dmabuf->size
  w.Lock(resv);     // dmabuf->resv
  mapping.WriteState(w);  // file_inode(dmabuf->file)->i_mapping
  w.U64(attachments.size());  // dmabuf->attachments
  for (const Attachment* a : attachments) w.Ref(a);
}

void Attachment::WriteState(sim::StateWriter& w) const {
  w.Ref(this);
  w.I64(id);
  w.Ref(static_cast<const mm::File*>(dmabuf));  // attach->dmabuf
  w.Bool(dynamic);    // attach->importer_ops
  w.Bool(peer2peer);  // attach->peer2peer
  w.Bool(attached);   // on dmabuf->attachments
  w.Bool(mapped);     // the importer holds an sg_table
  w.U64(sgt.size());
  for (const PhysRange& r : sgt) {
    w.U64(r.paddr);
    w.U64(r.len);
  }
  w.Bool(invalidated);  // move_notify seen, not re-mapped
  w.Bool(ignores_move);
  w.Ref(importer_callbacks);  // attach->importer_priv (iommufd's iopt_pages)
}

sim::Task<int> dma_buf_attach(DmaBuf& buf, Attachment& att, bool dynamic) {
  sim::FuncScope f(dynamic ? "dma_buf_dynamic_attach" : "dma_buf_attach");
  att.dmabuf = &buf;
  att.dynamic = dynamic;
  att.peer2peer = dynamic;  // the simulated dynamic importer allows peer2peer
  // ->attach runs without the resv lock and may read the exporter's state
  // (vfio_pci_dma_buf_attach(): `if (priv->revoked) return -ENODEV;`): a
  // lock-free read, declared as a read of the resv lock that guards it.
  co_await sim::Access(&buf.resv, false, "revoked");
  if (int r = buf.ops()->Attach(buf, att)) co_return r;
  // A static importer of a dynamic exporter gets its buffer pinned.
  if (!dynamic && buf.ops()->HasPin()) {
    co_await buf.resv.Lock();
    const int r = buf.ops()->Pin(att);
    buf.resv.Unlock();
    if (r) co_return r;
  }
  co_await buf.resv.Lock();
  co_await sim::Access(&att, true, "attachment");  // published on the list
  buf.TouchAttachments(true);
  att.Touch(true);
  buf.attachments.push_back(&att);
  att.attached = true;
  buf.resv.Unlock();
  buf.get_file();  // the importer's dma_buf_get()
  co_return 0;
}

sim::Task<int> dma_buf_map_attachment(Attachment& att) {
  sim::FuncScope f("dma_buf_map_attachment");
  DmaBuf& buf = *att.dmabuf;
  co_await buf.resv.Lock();
  co_await sim::Access(&att, true, "attachment");
  att.Touch(true);
  if (!att.attached) {
    buf.resv.Unlock();
    co_return -kEBADF;
  }
  const int r = buf.ops()->MapDmaBuf(att);
  if (r == 0) {
    att.mapped = true;
    att.invalidated = false;
  }
  buf.resv.Unlock();
  co_return r;
}

sim::Task<int> dma_buf_unmap_attachment(Attachment& att) {
  sim::FuncScope f("dma_buf_unmap_attachment");
  DmaBuf& buf = *att.dmabuf;
  co_await buf.resv.Lock();
  co_await sim::Access(&att, true, "attachment");
  att.Touch(true);
  if (!att.attached) {
    buf.resv.Unlock();
    co_return -kEBADF;
  }
  if (att.mapped) buf.ops()->UnmapDmaBuf(att);
  att.mapped = false;
  att.sgt.clear();
  buf.resv.Unlock();
  co_return 0;
}

sim::Task<int> dma_buf_detach(Attachment& att) {
  sim::FuncScope f("dma_buf_detach");
  DmaBuf& buf = *att.dmabuf;
  co_await buf.resv.Lock();
  co_await sim::Access(&att, true, "attachment");
  att.Touch(true);
  if (!att.attached) {
    buf.resv.Unlock();
    co_return -kEBADF;
  }
  if (att.mapped) buf.ops()->UnmapDmaBuf(att);
  att.mapped = false;
  att.sgt.clear();
  buf.TouchAttachments(true);
  buf.attachments.erase(std::remove(buf.attachments.begin(), buf.attachments.end(), &att),
                        buf.attachments.end());
  att.attached = false;
  buf.resv.Unlock();
  co_await buf.fput();  // the importer's dma_buf_put()
  co_return 0;
}

sim::Task<void> dma_buf_move_notify(DmaBuf& buf) {
  sim::FuncScope f("dma_buf_move_notify");
  buf.TouchAttachments(false);
  for (Attachment* att : buf.attachments) {
    if (!att->dynamic) continue;
    // The simulated importer's move_notify: unmap at once, under the resv lock.
    sim::FuncScope m("importer_move_notify");
    co_await sim::Access(att, true, "attachment");
    att->Touch(true);
    att->invalidated = true;
    if (att->importer_callbacks) att->importer_callbacks->MoveNotify(*att);
    if (!att->ignores_move && att->mapped) {
      buf.ops()->UnmapDmaBuf(*att);
      att->mapped = false;
      att->sgt.clear();
    }
  }
}

}  // namespace vfiosim::dmabuf
