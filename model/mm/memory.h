// The core-mm pieces of a PFN-map fault and a zap (mm/memory.c, mm/huge_memory.c).
#pragma once

#include <cstdint>

#include "model/mm/mm.h"
#include "sim/core/task.h"

namespace vfiosim::mm {

// __handle_mm_fault() for a VM_PFNMAP vma with ->huge_fault: offers PUD, then PMD
// (only where the slot is empty and the arch/Kconfig allows huge pfnmaps), then
// order 0; VM_FAULT_FALLBACK moves to the next smaller order. The caller holds
// mmap_lock for read. (The core does not check that the huge window fits the
// VMA: "Trust that ->huge_fault() handlers know what they are doing".)
sim::Task<VmFaultResult> handle_mm_fault(Mm& mm, Vma& vma, uint64_t address, bool write);

// vmf_insert_pfn() / vmf_insert_pfn_pmd() / vmf_insert_pfn_pud(): install one leaf
// under the page-table lock. A present entry is left alone (VM_FAULT_NOPAGE).
sim::Task<VmFaultResult> vmf_insert_pfn(const VmFault& vmf, uint64_t pfn, int order);

// zap_page_range_single() of [start, end) inside one vma, under its mm's ptl.
sim::Task<void> zap_vma_range(Vma& vma, uint64_t start, uint64_t end);

// unmap_mapping_range(mapping, holebegin, holelen, even_cows): zap every PTE of
// every vma in mapping->i_mmap that maps file offsets [holebegin, +holelen).
// Costs what is mapped, not the VA span.
sim::Task<void> unmap_mapping_range(AddressSpace& mapping, uint64_t holebegin, uint64_t holelen);

// unmap_mapping_range_vma(): zap the VA window of `vma` that maps file pages
// [first, last] (nothing, and no step, when the vma maps none of them). The
// caller holds the mapping's i_mmap_rwsem.
sim::Task<void> unmap_mapping_range_vma(Vma& vma, uint64_t first, uint64_t last);

}  // namespace vfiosim::mm
