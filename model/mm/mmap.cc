#include "model/mm/mmap.h"

#include <algorithm>

#include "model/errno.h"
#include "model/mm/memory.h"
#include "sim/core/thread.h"

namespace vfiosim::mm {
namespace {

// get_unmapped_area(): first gap at or above the base, aligned to `align`.
uint64_t FindGap(Mm& mm, uint64_t len, uint64_t align, uint64_t pgoff) {
  mm.TouchVmas(false);
  const uint64_t limit = mm.pt.geometry().va_limit();
  const uint64_t base = limit > (uint64_t{1} << 32) ? uint64_t{64} << 30 : uint64_t{1} << 30;
  // Align so that (addr % align) == (offset % align), as QEMU does for BARs.
  const uint64_t want = (pgoff << kPageShift) & (align - 1);
  uint64_t addr = ((base + align - 1) & ~(align - 1)) + want;
  for (const Vma& v : mm.vmas) {
    if (v.vm_end <= addr) continue;
    if (v.vm_start >= addr + len) break;
    addr = ((v.vm_end + align - 1) & ~(align - 1)) + want;
  }
  if (addr + len > limit || addr + len < addr) return 0;
  return addr;
}

void LinkFile(Vma& vma, Vma* after) {
  vma.vm_file->f_mapping()->TouchIMmap(true);
  VmaList& l = vma.vm_file->f_mapping()->i_mmap;
  if (after && after->mapping_hook.is_linked())
    l.insert(std::next(l.iterator_to(*after)), vma);
  else
    l.push_back(vma);
}

}  // namespace

sim::Task<int64_t> do_mmap(Mm& mm, File& file, MmapRequest req) {
  sim::FuncScope f("do_mmap");
  if (req.len == 0 || (req.len & (kPageSize - 1))) co_return -kEINVAL;
  if (req.fixed && (req.addr & (kPageSize - 1))) co_return -kEINVAL;
  const uint64_t limit = mm.pt.geometry().va_limit();
  if (req.fixed && (req.addr + req.len > limit || req.addr + req.len < req.addr)) co_return -kENOMEM;
  if (req.fixed) {
    // MAP_FIXED replaces what was there.
    co_await do_munmap(mm, req.addr, req.len);
  }
  co_await mm.mmap_lock.LockWrite();
  mm.TouchVmas(false);
  if (mm.exited) {  // the process is exiting: nothing may be mapped any more
    mm.mmap_lock.UnlockWrite();
    co_return -kEINVAL;
  }
  uint64_t addr = req.addr;
  if (!req.fixed) {
    uint64_t align = kPageSize;
    for (int shift : {kPudShift, kPmdShift}) {
      if (mm.pt.geometry().HasLevel(shift) && req.len >= (uint64_t{1} << shift)) {
        align = uint64_t{1} << shift;
        break;
      }
    }
    addr = FindGap(mm, req.len, align, req.pgoff);
    if (addr == 0) {
      mm.mmap_lock.UnlockWrite();
      co_return -kENOMEM;
    }
  }
  Vma* vma = mm.AllocVma();
  vma->vm_start = addr;
  vma->vm_end = addr + req.len;
  vma->vm_pgoff = req.pgoff;
  vma->writable = req.writable;
  file.get_file();
  vma->vm_file = &file;
  const int err = co_await file.Mmap(*vma);  // call_mmap()
  if (err) {
    File* fl = vma->vm_file;
    mm.FreeVma(vma);
    mm.mmap_lock.UnlockWrite();
    co_await fl->fput();
    co_return err;
  }
  mm.TouchVmas(true);
  mm.vmas.insert(*vma);
  // vma_link_file(): after ->mmap, so PTEs must not be installed in ->mmap.
  AddressSpace& mapping = *vma->vm_file->f_mapping();
  co_await mapping.i_mmap_rwsem.LockWrite();
  LinkFile(*vma, nullptr);
  mapping.i_mmap_rwsem.UnlockWrite();
  mm.mmap_lock.UnlockWrite();
  co_return static_cast<int64_t>(addr);
}

// remove_vma() (mm/vma.c): vma_close() -> vm_ops->close(), then fput(vma->vm_file),
// deferred here to after mmap_lock is dropped (the caller's `to_put`), and
// vm_area_free(). The leak-on-munmap mutant branches at the fput.
namespace {
void remove_vma(Mm& mm, Vma* v, std::vector<File*>* to_put) {
  if (v->vm_ops) v->vm_ops->Close(*v);
  if (!mm.bug_remove_vma_leaks_file) to_put->push_back(v->vm_file);
  mm.FreeVma(v);
}
}  // namespace

sim::Task<int> do_munmap(Mm& mm, uint64_t addr, uint64_t len, bool user) {
  sim::FuncScope f("do_munmap");
  if ((addr & (kPageSize - 1)) || len == 0) co_return -kEINVAL;
  len = (len + kPageSize - 1) & ~(kPageSize - 1);
  if (len == 0) co_return -kEINVAL;  // PAGE_ALIGN() wrapped to 0
  const uint64_t end = addr + len;
  if (end < addr || end > mm.pt.geometry().va_limit()) co_return -kEINVAL;
  co_await mm.mmap_lock.LockWrite();
  mm.TouchVmas(true);
  if (user && mm.exited) {
    mm.mmap_lock.UnlockWrite();
    co_return -kEINVAL;
  }
  std::vector<File*> to_put;
  // Collect the overlapping vmas first; the tree changes below.
  std::vector<Vma*> hit;
  for (Vma& v : mm.vmas)
    if (v.vm_start < end && v.vm_end > addr) hit.push_back(&v);
  for (Vma* v : hit) {
    AddressSpace& mapping = *v->vm_file->f_mapping();
    // __split_vma(): keep the parts outside [addr, end) as vmas of their own.
    const uint64_t cut_start = std::max(v->vm_start, addr), cut_end = std::min(v->vm_end, end);
    co_await zap_vma_range(*v, cut_start, cut_end);
    co_await mapping.i_mmap_rwsem.LockWrite();
    mapping.TouchIMmap(true);
    if (cut_end < v->vm_end) {
      Vma* tail = mm.AllocVma();
      const int id = tail->id;
      *tail = *v;
      tail->id = id;
      tail->mm = &mm;
      tail->vm_pgoff = v->vm_pgoff + ((cut_end - v->vm_start) >> kPageShift);
      tail->vm_start = cut_end;
      v->vm_file->get_file();
      mm.vmas.insert(*tail);
      LinkFile(*tail, v);
      if (tail->vm_ops) tail->vm_ops->Open(*tail);  // __split_vma(): new->vm_ops->open(new)
    }
    if (cut_start > v->vm_start) {
      v->vm_end = cut_start;  // the head keeps the vma (and its file reference)
    } else {
      mapping.i_mmap.erase(mapping.i_mmap.iterator_to(*v));
      mm.vmas.erase(mm.vmas.iterator_to(*v));
      remove_vma(mm, v, &to_put);
    }
    mapping.i_mmap_rwsem.UnlockWrite();
  }
  // free_pgtables(). The kernel frees the tables under mmap_lock alone and
  // keeps hardware walks safe with the TLB flush and RCU; here a CPU access
  // walks the tables under the page-table lock, so that lock is taken.
  co_await mm.ptl.LockWrite();
  mm.pt.FreeEmptyTables(addr, end);
  mm.ptl.UnlockWrite();
  mm.mmap_lock.UnlockWrite();
  for (File* fl : to_put) co_await fl->fput();
  co_return 0;
}

sim::Task<int> dup_mmap(Mm& parent, Mm& child) {
  sim::FuncScope f("dup_mmap");
  co_await parent.mmap_lock.LockWrite();
  parent.TouchVmas(false);
  if (parent.exited) {
    parent.mmap_lock.UnlockWrite();
    co_return -kEINVAL;
  }
  co_await child.mmap_lock.LockWrite();  // mmap_write_lock_nested()
  for (Vma& mpnt : parent.vmas) {
    Vma* tmp = child.AllocVma();
    const int id = tmp->id;
    *tmp = mpnt;
    tmp->id = id;
    tmp->mm = &child;
    tmp->vm_file->get_file();
    if (tmp->vm_ops) tmp->vm_ops->Open(*tmp);  // dup_mmap(): tmp->vm_ops->open(tmp)
    child.TouchVmas(true);
    child.vmas.insert(*tmp);
    AddressSpace& mapping = *tmp->vm_file->f_mapping();
    co_await mapping.i_mmap_rwsem.LockWrite();
    // vma_interval_tree_insert_after(): right after the parent's vma, so a
    // concurrent unmap_mapping_range() visits the child after the parent.
    LinkFile(*tmp, &mpnt);
    mapping.i_mmap_rwsem.UnlockWrite();
    // copy_page_range(): VM_PFNMAP vmas are copied, huge leaves as huge leaves.
    {
      sim::FuncScope c("copy_page_range");
      co_await child.ptl.LockWrite();
      co_await parent.ptl.LockWrite();
      bool oom = false;
      parent.pt.ForEachLeaf(mpnt.vm_start, mpnt.vm_end, [&](const Leaf& leaf) {
        if (oom) return;
        const InsertResult r = child.pt.Insert(leaf.va, leaf.shift, leaf.pfn, leaf.writable);
        if (r == InsertResult::kNoMemory) oom = true;
        if (r == InsertResult::kInserted && child.observer) child.observer->OnLeafInstalled(child, *tmp, leaf);
      });
      parent.ptl.UnlockWrite();
      child.ptl.UnlockWrite();
      if (oom) {  // copy_page_range() -> -ENOMEM: dup_mmap() fails, fork() too
        child.mmap_lock.UnlockWrite();
        parent.mmap_lock.UnlockWrite();
        co_return -kENOMEM;
      }
    }
  }
  child.mmap_lock.UnlockWrite();
  parent.mmap_lock.UnlockWrite();
  co_return 0;
}

sim::Task<bool> exit_mmap(Mm& mm) {
  sim::FuncScope f("exit_mmap");
  // The VMAs' ranges, not pointers: each do_munmap() drops mmap_lock, and a
  // racing munmap may split or free a vma meanwhile.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  co_await mm.mmap_lock.LockWrite();
  mm.TouchVmas(true);
  if (mm.exited) {
    mm.mmap_lock.UnlockWrite();
    co_return false;
  }
  mm.exited = true;
  for (const Vma& v : mm.vmas) ranges.emplace_back(v.vm_start, v.size());
  mm.mmap_lock.UnlockWrite();
  for (auto [start, len] : ranges) co_await do_munmap(mm, start, len);
  co_await mm.ptl.LockWrite();
  mm.pt.Clear();
  mm.ptl.UnlockWrite();
  co_return true;
}

}  // namespace vfiosim::mm
