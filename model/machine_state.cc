// Machine::WriteState(): the Machine's own tables, and the walk of every model
// object, for the stateful search. Ref() numbers objects by first mention, so
// the walk order below (the containers' own orders: creation order for the
// deques) is the canonical numbering.
#include <mutex>

#include "model/machine.h"

namespace vfiosim {

void Machine::WriteState(sim::StateWriter& w) const {
  // Only its address is used (a point that orders `info` against failed
  // mmaps); its value never changes, written for completeness.
  w.U64(static_cast<unsigned char>(region_info_record_));
  // Page-table memory charged so far (past the limit faults get VM_FAULT_OOM);
  // read by PageTable::Insert() only, whose caller learns only its result
  // (sim::NoteResult): no step touches it.
  w.Begin(&pt_budget_);
  w.U64(pt_budget_.used.load(std::memory_order_relaxed));
  w.End();
  w.I64(next_dmabuf_id_);  // the dma-buf id allocator (names, traces)

  w.U64(devices_.size());
  for (const pci::PciDevice& d : devices_) {
    w.Ref(&d);
    d.WriteState(w);
  }
  w.U64(vdevs_.size());
  for (const vfio::VfioPciCoreDevice& v : vdevs_) v.WriteState(w);

  std::lock_guard<std::mutex> l(fd_lock_);  // as the fd-table readers do
  // Processes: task_struct's files_struct and mm_struct.
  w.U64(procs_.size());
  for (const Process& p : procs_) {
    w.I64(p.id);
    w.Bool(p.implicit);
    w.Bool(p.exited);  // exit_files() ran
    w.Bool(p.nofile.has_value());  // RLIMIT_NOFILE
    if (p.nofile) w.U64(*p.nofile);
    w.Bool(p.mm != nullptr);
    if (p.mm) p.mm->WriteState(w);
    w.U64(p.fds.size());  // fdt->fd[], closed slots NULL
    for (const mm::File* f : p.fds) w.Ref(f);
  }
  // The scenario's fd handles: (process, slot) in handle order.
  w.U64(fdrefs_.size());
  for (const FdRef& r : fdrefs_) {
    w.I64(r.proc);
    w.I64(r.fd);
  }
  w.U64(atts_.size());
  for (const dmabuf::Attachment& a : atts_) a.WriteState(w);
  w.U64(iommufd_pages_.size());
  for (const iommu::IommufdPages& pg : iommufd_pages_) pg.WriteState(w);
  w.U64(iovas_.size());
  for (const IovaMapping& m : iovas_) {
    w.I64(m.id);
    w.Bool(m.type1);
    w.Bool(m.write);  // IOMMU_WRITE
    w.U64(m.ranges.size());  // type1: the pinned physical ranges
    for (const dmabuf::PhysRange& r : m.ranges) {
      w.U64(r.paddr);
      w.U64(r.len);
    }
    w.Ref(m.att);  // iommufd: the importer's attachment
    w.Ref(m.pages ? static_cast<const dmabuf::DmaBufAttachOps*>(m.pages) : nullptr);
    w.Ref(m.target);
  }
}

}  // namespace vfiosim
