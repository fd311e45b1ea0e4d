// struct mm_struct: VMAs, the page table, mmap_lock and the page-table lock.
// The kernel splits the page-table lock per page-table page; the model keeps one
// per mm (docs/fidelity.md). A CPU access through the page table holds it too:
// that models the TLB shootdown of a zap waiting for accesses in flight, which
// makes an access through a present leaf indivisible with respect to zaps.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "model/lock_class.h"
#include "model/mm/page_table.h"
#include "model/mm/vma.h"
#include "sim/core/discipline.h"
#include "sim/core/sync.h"

namespace vfiosim::mm {

// What the checker and traces learn from the mm (events, not state scans).
class MmObserver {
 public:
  virtual ~MmObserver() = default;
  virtual void OnLeafInstalled(const struct Mm& mm, const Vma& vma, const Leaf& leaf) = 0;
  virtual void OnLeafZapped(const struct Mm& mm, const Leaf& leaf) = 0;
};

// Which huge leaves the fault path may offer (CONFIG_ARCH_SUPPORTS_{PMD,PUD}_PFNMAP
// and the geometry having that level).
struct HugePfnmap {
  bool pmd = false;
  bool pud = false;
};

struct Mm {
  Mm(int id, const Geometry& g, HugePfnmap huge, MmObserver* obs)
      : id(id),
        name("mm" + std::to_string(id)),
        mmap_lock(LockClassOf(LockClass::kMmapLock), name),
        ptl(LockClassOf(LockClass::kPtl), name),
        pt(g),
        huge(huge),
        observer(obs) {
    pt.set_guard(&ptl);
  }
  ~Mm() {
    // The vmas still mapped are on their files' i_mmap lists, and the files
    // (owned by the Machine's devices) outlive this mm: unlink them before the
    // vma storage goes, or the i_mmap list's destructor walks freed vmas.
    for (Vma& v : vmas) {
      if (!v.mapping_hook.is_linked() || !v.vm_file) continue;
      VmaList& l = v.vm_file->f_mapping()->i_mmap;
      l.erase(l.iterator_to(v));
    }
    vmas.clear();
  }

  int id;
  std::string name;
  sim::RwSem mmap_lock;
  // The page-table lock. Writers (installs, zaps, page-table frees) take it for
  // write, as the kernel takes pte_lockptr()/pmd_lockptr(). The kernel's lockless
  // readers (the MMU's walk of a CPU access, whose TLB entry a zap's shootdown
  // waits for; the READ_ONCE() pmd_none()/pud_none() peeks of __handle_mm_fault())
  // take it for read: the same atomicity as before, and two readers commute, so
  // the explorer does not order loads against loads (docs/fidelity.md).
  sim::RwSem ptl;
  PageTable pt;
  VmaTree vmas;
  HugePfnmap huge;
  MmObserver* observer;
  // The leak-on-munmap mutant: remove_vma() forgets fput(vma->vm_file), on every
  // path that removes a vma (munmap, MAP_FIXED replacement, exit, a failed
  // fork's teardown).
  bool bug_remove_vma_leaks_file = false;
  bool exited = false;
  std::deque<Vma> vma_store;
  std::vector<Vma*> free_vmas;
  int next_vma_id = 1;

  // The VMA tree and `exited` are mmap_lock's (sim/core/discipline.h).
  void TouchVmas(bool write) const { sim::TouchLocked(&vmas, write, "vma tree", mmap_lock); }
  // vm_area_alloc() / vm_area_free(): VMA storage owned by the mm (stable
  // addresses, reused, no allocation per op once warm).
  Vma* AllocVma() {
    Vma* v;
    if (!free_vmas.empty()) {
      v = free_vmas.back();
      free_vmas.pop_back();
      *v = Vma{};
    } else {
      v = &vma_store.emplace_back();
    }
    v->mm = this;
    v->id = next_vma_id++;
    return v;
  }
  void FreeVma(Vma* v) { free_vmas.push_back(v); }

  // The stateful search's view of the mm_struct: its locks, the page table,
  // the VMA tree in vm_start order and the exiting flag. Not written: the
  // vm_area_struct pool (vma_store, free_vmas): AllocVma() resets a reused
  // slot and nothing reads a freed one, so which slot is free is allocator
  // state, like an address.
  void WriteState(sim::StateWriter& w) const;  // model/mm/mm_state.cc

  // find_vma() restricted to a VMA that contains va (vma_lookup()).
  Vma* VmaLookup(uint64_t va) {
    TouchVmas(false);
    auto it = vmas.upper_bound(va);
    if (it == vmas.begin()) return nullptr;
    --it;
    return it->contains(va) ? &*it : nullptr;
  }
};

}  // namespace vfiosim::mm
