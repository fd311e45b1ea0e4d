#include "model/mm/access.h"

#include <optional>

#include "model/mm/memory.h"
#include "sim/core/retry_scope.h"
#include "sim/core/thread.h"

namespace vfiosim::mm {

sim::Task<UserAccessResult> user_access(Mm& mm, uint64_t va, bool write, PhysAccess phys) {
  // After VM_FAULT_NOPAGE the instruction is retried with nothing but this
  // function's arguments (the fault's reads are forgotten: sim/core/retry_scope.h).
  sim::RetryScope retry;
  for (;; retry.Retry()) {
    {
      sim::FuncScope f(write ? "cpu_store" : "cpu_load");
      co_await mm.ptl.LockRead();  // the walk; a zap's TLB shootdown waits for it
      std::optional<Leaf> leaf = mm.pt.Lookup(va);
      if (leaf) {
        if (write && !leaf->writable) {
          mm.ptl.UnlockRead();
          co_return UserAccessResult::kSigsegv;
        }
        co_await phys((leaf->pfn << 12) + (va - leaf->va));
        mm.ptl.UnlockRead();
        co_return UserAccessResult::kDone;
      }
      mm.ptl.UnlockRead();
    }
    // The page fault: exc_page_fault() -> handle_mm_fault() under mmap_lock.
    sim::FuncScope f("exc_page_fault");
    co_await mm.mmap_lock.LockRead();
    Vma* vma = mm.VmaLookup(va);
    if (!vma || (write && !vma->writable)) {
      mm.mmap_lock.UnlockRead();
      co_return UserAccessResult::kSigsegv;
    }
    const VmFaultResult fr = co_await handle_mm_fault(mm, *vma, va, write);
    mm.mmap_lock.UnlockRead();
    if (fr == VmFaultResult::kSigbus) co_return UserAccessResult::kSigbus;
    // VM_FAULT_OOM: the kernel would OOM-kill; the simulator's page-table
    // budget is spent, and the access reports it (docs/reliability.md).
    if (fr == VmFaultResult::kOom) co_return UserAccessResult::kOom;
    if (fr == VmFaultResult::kSigsegv) co_return UserAccessResult::kSigsegv;
    // VM_FAULT_NOPAGE: the instruction is retried.
  }
}

}  // namespace vfiosim::mm
