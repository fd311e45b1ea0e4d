#include "model/mm/memory.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "sim/core/driver.h"
#include "sim/core/thread.h"
#include "sim/core/trace_note.h"

namespace vfiosim::mm {
namespace {
constexpr int kHugeShifts[] = {kPudShift, kPmdShift};  // the order the fault offers them

const char* ResultName(VmFaultResult r) {
  switch (r) {
    case VmFaultResult::kNoPage: return "NOPAGE";
    case VmFaultResult::kFallback: return "FALLBACK";
    case VmFaultResult::kSigbus: return "SIGBUS";
    case VmFaultResult::kSigsegv: return "SIGSEGV";
    case VmFaultResult::kOom: return "OOM";
  }
  return "?";
}

// The order walk in the trace: "PUD fault -> FALLBACK", "PTE fault -> NOPAGE".
void NoteOrder(const char* level, VmFaultResult r) {
  if (sim::Tracing()) sim::TraceNote(absl::StrCat(level, " fault -> ", ResultName(r)));
}
}  // namespace

sim::Task<VmFaultResult> handle_mm_fault(Mm& mm, Vma& vma, uint64_t address, bool write) {
  sim::FuncScope f("handle_mm_fault");
  const VmFault vmf{&vma, address, write};
  if (vma.vm_ops->has_huge_fault()) {
    // pud_none()/pmd_none(): the kernel peeks with READ_ONCE() and no lock.
    // Another thread's fault may be inserting into this table at the same
    // moment (both hold mmap_lock for read), so the peek is a step of its own
    // that reads the table: the model takes the page-table lock for read, which
    // also keeps the free-running driver (vfiosim stress) free of data races
    // over the model's plain entry words.
    for (const int shift : kHugeShifts) {
      if (!(shift == kPudShift ? mm.huge.pud : mm.huge.pmd) || !mm.pt.geometry().CanPlaceLeaf(shift)) continue;
      co_await mm.ptl.LockRead();
      const bool none = mm.pt.SlotEmpty(address, shift);
      std::optional<Leaf> leaf;
      if (!none) leaf = mm.pt.Lookup(address);
      mm.ptl.UnlockRead();
      const char* level = shift == kPudShift ? "PUD" : "PMD";
      // pud_trans_huge()/pmd_trans_huge(): a huge leaf got there since the
      // CPU walk missed; the fault is done (returns 0), the access retries.
      if (leaf && leaf->shift >= shift) co_return VmFaultResult::kNoPage;
      if (!none) {
        if (sim::Tracing()) sim::TraceNote(absl::StrCat(level, " not none: next order"));
        continue;
      }
      // create_huge_pud() / create_huge_pmd().
      const VmFaultResult r = co_await vma.vm_ops->HugeFault(vmf, shift - kPageShift);
      NoteOrder(level, r);
      if (r != VmFaultResult::kFallback) co_return r;
    }
  }
  // handle_pte_fault() -> do_fault() -> ->fault(): order 0 never falls back.
  const VmFaultResult r = co_await vma.vm_ops->HugeFault(vmf, 0);
  NoteOrder("PTE", r);
  if (r == VmFaultResult::kFallback) {
    sim::TraceNote("SIGBUS: order 0 cannot fall back");
    co_return VmFaultResult::kSigbus;
  }
  co_return r;
}

sim::Task<VmFaultResult> vmf_insert_pfn(const VmFault& vmf, uint64_t pfn, int order) {
  Vma& vma = *vmf.vma;
  Mm& mm = *vma.mm;
  const int shift = kPageShift + order;
  const uint64_t va = vmf.address & ~((uint64_t{1} << shift) - 1);
  sim::FuncScope f(order == 0 ? "vmf_insert_pfn" : order == kPmdShift - kPageShift ? "vmf_insert_pfn_pmd"
                                                                                    : "vmf_insert_pfn_pud");
  // vmf_insert_pfn_prot(), vmf_insert_pfn_pmd/pud(): the (aligned-down)
  // address must lie in the vma (mm/memory.c, mm/huge_memory.c).
  if (va < vma.vm_start || va >= vma.vm_end) co_return VmFaultResult::kSigbus;
  co_await mm.ptl.LockWrite();
  const InsertResult r = mm.pt.Insert(va, shift, pfn, vma.writable);
  if (r == InsertResult::kInserted && mm.observer)
    mm.observer->OnLeafInstalled(mm, vma, Leaf{va, shift, pfn, vma.writable});
  mm.ptl.UnlockWrite();
  // insert_pfn(): get_locked_pte() finds no PTE table under a PMD/PUD leaf
  // installed since the fault checked pmd_none() (pte_offset_map_lock()
  // returns NULL) and the insert fails with VM_FAULT_OOM; bugzilla 220057.
  if (r == InsertResult::kUnderLargerLeaf && order == 0) co_return VmFaultResult::kOom;
  // A huge insert that finds a page table in its slot: the core would not have
  // offered the order (pmd_none() check); a racing 4K fault got there first.
  if (r == InsertResult::kSlotNotEmpty) co_return VmFaultResult::kFallback;
  // No memory for a page table (the Machine's page-table budget is spent):
  // insert_pfn() fails with -ENOMEM, vmf_insert_pfn() returns VM_FAULT_OOM.
  if (r == InsertResult::kNoMemory) co_return VmFaultResult::kOom;
  co_return VmFaultResult::kNoPage;
}

sim::Task<void> zap_vma_range(Vma& vma, uint64_t start, uint64_t end) {
  sim::FuncScope f("zap_page_range_single");
  Mm& mm = *vma.mm;
  co_await mm.ptl.LockWrite();
  mm.pt.Zap(start, end, [&](const Leaf& leaf) {
    if (mm.observer) mm.observer->OnLeafZapped(mm, leaf);
  });
  mm.ptl.UnlockWrite();
}

sim::Task<void> unmap_mapping_range(AddressSpace& mapping, uint64_t holebegin, uint64_t holelen) {
  sim::FuncScope f("unmap_mapping_range");
  const uint64_t first = holebegin >> kPageShift;
  const uint64_t last = holelen == 0 ? UINT64_MAX : first + ((holelen + kPageSize - 1) >> kPageShift) - 1;
  co_await mapping.i_mmap_rwsem.LockRead();
  mapping.TouchIMmap(false);
  for (Vma& vma : mapping.i_mmap) co_await unmap_mapping_range_vma(vma, first, last);
  mapping.i_mmap_rwsem.UnlockRead();
}

sim::Task<void> unmap_mapping_range_vma(Vma& vma, uint64_t first, uint64_t last) {
  const uint64_t vfirst = vma.vm_pgoff;
  const uint64_t vlast = vma.vm_pgoff + (vma.size() >> kPageShift) - 1;
  if (vlast < first || vfirst > last) co_return;
  // The VA window of the overlap.
  const uint64_t zfirst = std::max(first, vfirst), zlast = std::min(last, vlast);
  const uint64_t start = vma.vm_start + ((zfirst - vfirst) << kPageShift);
  const uint64_t end = vma.vm_start + ((zlast - vfirst + 1) << kPageShift);
  co_await zap_vma_range(vma, start, end);
}

}  // namespace vfiosim::mm
