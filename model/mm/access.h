// A user-mode load or store by a CPU: the MMU's walk of the page table and, when
// it finds no usable leaf, the page fault (arch/x86/mm/fault.c
// do_user_addr_fault() -> handle_mm_fault()), retried until the access goes
// through or the fault fails.
#pragma once

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "model/mm/mm.h"
#include "sim/core/task.h"

namespace vfiosim::mm {

// How a user access ends: through the page table, or with a signal, or (the
// model's page-table budget spent, VM_FAULT_OOM) ENOMEM.
enum class UserAccessResult { kDone, kSigsegv, kSigbus, kOom };

// The physical access at the end of the walk: called with the physical address
// while the walk still holds the page-table lock (for read), so the access is
// indivisible with respect to zaps (a zap's TLB shootdown waits for it).
using PhysAccess = absl::FunctionRef<sim::Task<void>(uint64_t paddr)>;

// A load (or a store when `write`) at `va` in `mm`: walk under the page-table
// lock; a store through a read-only leaf is SIGSEGV; a miss faults under
// mmap_lock (no VMA, or a store to a VMA without VM_WRITE: SIGSEGV;
// VM_FAULT_SIGBUS: SIGBUS; VM_FAULT_OOM: kOom) and VM_FAULT_NOPAGE retries the
// instruction. No exiting check: an exited mm has no VMAs and an empty table, so
// the access faults like any unmapped address.
sim::Task<UserAccessResult> user_access(Mm& mm, uint64_t va, bool write, PhysAccess phys);

}  // namespace vfiosim::mm
