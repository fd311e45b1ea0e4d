#include "model/bugs.h"

#include <array>

#include "sim/core/check.h"

namespace vfiosim {
namespace {

constexpr std::array<BugInfo, static_cast<size_t>(Bug::kCount)> kBugs = {{
    {Bug::kNoZapOnRevoke, "no-zap-on-revoke",
     "every revoke path marks the buffer revoked / memory disabled but leaves the mappings' PTEs",
     "CVE-2020-12888: 41311242221e, 11c4cd07ba11, abafbc551fdd (v5.8); what \"vfio/pci: convert BAR mmap to a DMABUF\" makes dma_buf_move() do",
     "scenarios/bugs/no-zap-on-revoke.scn"},
    {Bug::kNoZapOnCleanup, "no-zap-on-cleanup",
     "vfio_pci_dma_buf_cleanup() revokes but leaves PTEs of mmapped dma-bufs",
     "review of \"vfio/pci: convert BAR mmap to a DMABUF\" (cleanup must unmap_mapping_range())",
     "scenarios/bugs/no-zap-on-cleanup.scn"},
    {Bug::kFaultIgnoresRevoked, "fault-ignores-revoked",
     "the fault handler inserts the PFN of a revoked dma-buf",
     "vfio_pci_mmap_huge_fault(): \"Revocation status must be re-read, under memory_lock\"",
     "scenarios/bugs/fault-ignores-revoked.scn"},
    {Bug::kZapBeforeLock, "zap-before-lock",
     "memory-disable zaps before taking memory_lock for write and not again under it",
     "vfio_pci_zap_and_down_write_memory_lock() ordering (abafbc551fdd)",
     "scenarios/bugs/zap-before-lock.scn"},
    {Bug::kFaultWithoutLock, "fault-without-lock",
     "the fault checks revoked/enabled and inserts without holding memory_lock",
     "CVE-2020-12888 fix: fault under down_read(&vdev->memory_lock)",
     "scenarios/bugs/fault-without-lock.scn"},
    {Bug::kHugeFaultNoRangeCheck, "huge-fault-no-range-check",
     "a huge leaf is inserted without checking that its window stays inside the VMA and one range",
     "c1d9dac0db16 \"vfio/pci: Align huge faults to order\" (v6.15, bugzilla 220057)",
     "scenarios/bugs/huge-fault-no-range-check.scn"},
    {Bug::kHugeFaultUnalignedPfn, "huge-fault-unaligned-pfn",
     "a huge leaf is inserted for a PFN that is not order-aligned",
     "09dfc8a5f2ce \"vfio/pci: Fallback huge faults for unaligned pfn\" (v6.13, bugzilla 219619)",
     "scenarios/bugs/huge-fault-unaligned-pfn.scn"},
    {Bug::kLegacyNoMemoryCheck, "legacy-no-memory-check",
     "the legacy fault does not check that memory is enabled",
     "CVE-2020-12888: 41311242221e, 11c4cd07ba11, abafbc551fdd (v5.8)",
     "scenarios/bugs/legacy-no-memory-check.scn"},
    {Bug::kImporterIgnoresMove, "importer-ignores-move",
     "an importer's move_notify does not invalidate its mapping and it keeps DMAing",
     "dma_buf_move_notify() contract, drivers/dma-buf/dma-buf.c",
     "scenarios/bugs/importer-ignores-move.scn"},
    {Bug::kLockInversion, "lock-inversion",
     "the fault holds dma_resv while taking memory_lock, the opposite of the revoke path",
     "\"vfio/pci: convert BAR mmap to a DMABUF\" v2: resv lock dropped before memory_lock",
     "scenarios/bugs/lock-inversion.scn"},
    {Bug::kCloseBeforeCleanup, "close-before-cleanup",
     "close_device disables the device before vfio_pci_dma_buf_cleanup()",
     "d97708701434 \"vfio/pci: Clean up DMABUFs before disabling function\" (7.1-rc, 7.0-stable)",
     "scenarios/bugs/close-before-cleanup.scn"},
    {Bug::kLeakOnMunmap, "leak-on-munmap",
     "remove_vma() (munmap, exit, MAP_FIXED replacement) drops the VMA but not its file reference",
     "vma file reference: remove_vma() -> fput(vma->vm_file)",
     "scenarios/bugs/leak-on-munmap.scn"},
    {Bug::kForkEscapesZap, "fork-escapes-zap",
     "(legacy) the zap walks a list of faulted VMAs that a forked child's VMA is missing from",
     "35e351780fa9 fork regression (v6.9), fixed by aac6db75a9fc \"vfio/pci: Use unmap_mapping_range()\" + b7c5e64fecfa (v6.10)",
     "scenarios/bugs/fork-escapes-zap.scn"},
    {Bug::kType1IgnoresPteWrite, "type1-ignores-pte-write",
     "type1 MAP_DMA with IOMMU_WRITE takes the PFN of a read-only PTE (follow_pfn() without pte_write())",
     "07956b6269d3 \"vfio/type1: Use follow_pte()\" (v5.12)",
     "scenarios/history/type1-ignores-pte-write.scn"},
    {Bug::kExportFdFailDoublePut, "export-fd-fail-double-put",
     "when dma_buf_fd() fails, the export's error path puts the registration and frees priv after dma_buf_put() "
     "already released them",
     "e98137f0a874 \"vfio/pci: Fix double free in dma-buf feature\" (CVE-2026-31468)",
     "scenarios/history/export-fd-fail-double-put.scn"},
    {Bug::kPrefaultInMmap, "prefault-in-mmap",
     "(legacy) ->mmap installs the BAR's PTEs before the new VMA is linked into i_mmap, where a racing zap cannot see it",
     "rule stated in aac6db75a9fc \"vfio/pci: Use unmap_mapping_range()\" (v6.10): call_mmap() runs before vma_link_file()",
     "scenarios/history/prefault-in-mmap.scn"},
    {Bug::kHugeFaultNeedsAlignedAddress, "huge-fault-needs-aligned-address",
     "(legacy) a huge fault falls back unless the faulting address itself is order-aligned, so one window gets PTE and PMD inserts",
     "c1d9dac0db16 \"vfio/pci: Align huge faults to order\" (v6.15, bugzilla 220057)",
     "scenarios/history/huge-fault-needs-aligned-address.scn"},
    {Bug::kPmcsrD3NoZap, "pmcsr-d3-no-zap",
     "a PMCSR config write putting the device in D3hot neither zaps nor revokes the BAR mappings",
     "2b2c651baf1c \"vfio/pci: Invalidate mmaps and block the access in D3hot power state\" (v5.19)",
     "scenarios/history/pmcsr-d3-no-zap.scn"},
    {Bug::kVfMemoryEnforced, "vf-memory-enforced",
     "__vfio_pci_memory_enabled() ignores no_command_memory: a VF (MEM hard-wired 0) looks disabled, every BAR fault SIGBUSes",
     "ebfa440ce38b \"vfio/pci: Fix SR-IOV VF handling with MMIO blocking\" (v5.8-rc3), 515ecd5368f1 (v5.10)",
     "scenarios/history/vf-memory-enforced.scn"},
    {Bug::kIommufdDestroyBeforeDetach, "iommufd-destroy-before-detach",
     "iommufd releases a dma-buf area's pages (their mutex with them) before dma_buf_detach(): a racing move_notify uses them",
     "f2d70dbd3dce \"iommufd: Destroy the pages content after detaching from dmabuf\" (CVE-2026-74328)",
     "scenarios/history/iommufd-destroy-before-detach.scn"},
    {Bug::kBarRwHoldsMemoryLock, "bar-rw-holds-memory-lock",
     "a BAR read through the device fd holds memory_lock (read) across copy_to_user(): a buffer in a BAR mmap faults and takes it again",
     "bc93b9ae0151 \"vfio-pci: Avoid recursive read-lock usage\" (v5.9)",
     "scenarios/history/bar-rw-holds-memory-lock.scn"},
}};

}  // namespace

std::span<const BugInfo> AllBugs() { return kBugs; }

std::optional<Bug> ParseBug(std::string_view name) {
  for (const BugInfo& b : kBugs)
    if (b.name == name) return b.bug;
  return std::nullopt;
}

const BugInfo& GetBugInfo(Bug b) {
  const auto i = static_cast<size_t>(b);
  VFIOSIM_CHECK(i < kBugs.size(), "GetBugInfo(%zu): no such bug", i);
  return kBugs[i];
}

}  // namespace vfiosim
