// WriteState() of the mm structures (vma.h, mm.h), for the stateful search
// (sim/core/state_writer.h).
#include "model/mm/mm.h"
#include "model/mm/vma.h"

namespace vfiosim::mm {

void Vma::WriteState(sim::StateWriter& w) const {
  w.Ref(this);
  w.U64(vm_start);
  w.U64(vm_end);
  w.U64(vm_pgoff);
  w.Bool(writable);  // VM_WRITE
  w.Bool(shared);    // VM_SHARED
  w.Bool(pfnmap);    // VM_IO | VM_PFNMAP
  w.Ref(vm_file);
  // vm_ops: a static table per kind of mapping; its name says which.
  w.Bool(vm_ops != nullptr);
  if (vm_ops) w.Str(vm_ops->name());
  w.Ref(vm_private_data);  // the vdev (legacy) or the vfio_pci_dma_buf
  w.Ref(mm);
  w.I64(id);
  w.Bool(mapping_hook.is_linked());  // on vm_file->f_mapping->i_mmap
}

void AddressSpace::WriteState(sim::StateWriter& w) const {
  w.Lock(i_mmap_rwsem);
  w.U64(i_mmap.size());
  for (const Vma& v : i_mmap) w.Ref(&v);
}

void Mm::WriteState(sim::StateWriter& w) const {
  w.Ref(this);
  w.Lock(mmap_lock);  // mm->mmap_lock
  w.Lock(ptl);        // the page-table lock
  pt.WriteState(w);
  w.U64(vmas.size());  // mm->mm_mt
  for (const Vma& v : vmas) v.WriteState(w);
  w.Bool(exited);  // exit_mmap() ran: mmap, fork and MAP_DMA of this mm fail
  w.I64(next_vma_id);
}

}  // namespace vfiosim::mm
