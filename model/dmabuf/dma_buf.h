// struct dma_buf and its attachments (drivers/dma-buf/dma-buf.c).
//
// A dma-buf is a file: its lifetime is the file refcount and the last fput()
// runs the exporter's ->release. The reservation object's lock (dma_resv, a
// ww_mutex) serialises map/unmap and move_notify. Importers attach either
// dynamically (with move_notify) or statically (pinned).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/dmabuf/find_pfn.h"
#include "model/mm/file.h"
#include "model/mm/vma.h"
#include "sim/core/discipline.h"
#include "sim/core/state_writer.h"
#include "sim/core/sync.h"
#include "sim/core/task.h"

namespace vfiosim::dmabuf {

class DmaBuf;
struct Attachment;

// struct dma_buf_attach_ops: an importer's own callbacks. The model's generic
// importer (nullptr) just drops its mapping in move_notify; an importer with
// state of its own (iommufd) also runs this, in the same step, resv held.
class DmaBufAttachOps {
 public:
  virtual ~DmaBufAttachOps() = default;
  virtual void MoveNotify(Attachment& att) = 0;  // ->move_notify
};

// The simulated importer device behind an attachment: it DMAs through the
// scatterlist it got from map, and its move_notify drops that mapping at once.
struct Attachment {
  int id = 0;
  DmaBuf* dmabuf = nullptr;
  bool dynamic = true;     // importer_ops != NULL (dma_buf_attachment_is_dynamic())
  bool peer2peer = false;  // importer_ops->allow_peer2peer
  bool attached = false;   // on dmabuf->attachments (false after detach)
  // Importer state.
  bool mapped = false;            // holds an sg_table from map_dma_buf
  std::vector<PhysRange> sgt;     // what it DMAs through
  bool invalidated = false;       // move_notify seen and not re-mapped since
  bool ignores_move = false;      // importer-ignores-move mutant
  DmaBufAttachOps* importer_callbacks = nullptr;  // iommufd's; nullptr: the generic importer
  // Every field but id/dmabuf/dynamic/peer2peer/ignores_move/importer_callbacks (set before the
  // attachment is published) is touched only in steps that declare it.
  void Touch(bool write) const { sim::Touch(this, write, "attachment"); }
  // The stateful search's view: struct dma_buf_attachment and the importer's
  // own state, freed (detached) attachments included.
  void WriteState(sim::StateWriter& w) const;
};

// struct dma_buf_ops, as far as the model needs.
class DmaBufOps {
 public:
  virtual ~DmaBufOps() = default;
  virtual int Attach(DmaBuf& buf, Attachment& att) = 0;  // ->attach
  virtual bool HasPin() const = 0;                        // dma_buf_is_dynamic()
  virtual int Pin(Attachment& att) = 0;                   // ->pin
  virtual int MapDmaBuf(Attachment& att) = 0;             // ->map_dma_buf (resv held)
  virtual void UnmapDmaBuf(Attachment& att) = 0;          // ->unmap_dma_buf (resv held)
  virtual sim::Task<void> Release(DmaBuf& buf) = 0;       // ->release
  virtual bool HasMmap() const = 0;
  virtual sim::Task<int> Mmap(DmaBuf& buf, mm::Vma& vma) = 0;  // ->mmap
};

class DmaBuf : public mm::File {
  // Declared first: the lock names below view name_.
  int id_;
  std::string name_;

 public:
  DmaBuf(int id, DmaBufOps* ops, void* priv, uint64_t size);

  int id() const { return id_; }
  const std::string& name() const { return name_; }
  DmaBufOps* ops() const { return ops_; }
  void* priv() const { return priv_; }
  uint64_t size() const { return size_; }
  void set_size(uint64_t s) { size_ = s; }

  sim::Mutex resv;  // dmabuf->resv->lock
  mm::AddressSpace mapping;  // the dma-buf inode's i_mmap
  std::vector<Attachment*> attachments;  // under resv
  void TouchAttachments(bool write) const { sim::TouchLocked(&attachments, write, "attachments", resv); }

  // dma_buf_mmap_internal(): size check, then ->mmap.
  sim::Task<int> Mmap(mm::Vma& vma) override;

  // The stateful search's view: the file (f_count, released), the size, the
  // resv lock, the inode's i_mmap and the attachment list in list order.
  void WriteState(sim::StateWriter& w) const;

 protected:
  sim::Task<void> Release() override;

 private:
  DmaBufOps* ops_;
  void* priv_;
  uint64_t size_;
};

// dma_buf_dynamic_attach() (dynamic) / dma_buf_attach() (static, pinned).
// Takes the importer's reference on the buffer (dma_buf_get()). 0 or -errno.
sim::Task<int> dma_buf_attach(DmaBuf& buf, Attachment& att, bool dynamic);
// dma_buf_map_attachment_unlocked() / dma_buf_unmap_attachment_unlocked().
// These and dma_buf_detach() return -EBADF for an attachment detached already
// (a use after free: the caller reports it).
sim::Task<int> dma_buf_map_attachment(Attachment& att);
sim::Task<int> dma_buf_unmap_attachment(Attachment& att);
// dma_buf_detach(), then the importer's dma_buf_put().
sim::Task<int> dma_buf_detach(Attachment& att);
// dma_buf_move_notify(): resv held; every dynamic importer's move_notify.
sim::Task<void> dma_buf_move_notify(DmaBuf& buf);

}  // namespace vfiosim::dmabuf
