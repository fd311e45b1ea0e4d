#include "sim/stress/coverage.h"

namespace vfiosim::stress {

std::string WhyNotExercised(Bug b, Variant v) {
  const bool legacy = v == Variant::kLegacy;
  switch (b) {
    case Bug::kNoZapOnRevoke:
    case Bug::kZapBeforeLock:
    case Bug::kFaultWithoutLock:
    case Bug::kLeakOnMunmap:  // exit_mmap() at the end of each configuration
      return "";
    case Bug::kFaultIgnoresRevoked:
    case Bug::kLockInversion:
      return legacy ? "it is in the dmabuf variant's fault handler (vfio_pci_mmap_huge_fault() of the patch)" : "";
    case Bug::kLegacyNoMemoryCheck:
      return legacy ? "" : "it is in the legacy fault handler (vfio_pci_vmf_insert_pfn() of a legacy mapping)";
    case Bug::kNoZapOnCleanup:
      return "stress never closes a device with live mappings (vfio_pci_dma_buf_cleanup() of a mapped buffer)";
    case Bug::kHugeFaultNoRangeCheck:
    case Bug::kHugeFaultUnalignedPfn:
      return "stress maps whole, aligned BARs (the huge-fault window and PFN checks never fail)";
    case Bug::kImporterIgnoresMove:
    case Bug::kCloseBeforeCleanup:
      return "stress has no dma-buf importer (export, attach, map, dma)";
    case Bug::kForkEscapesZap:
      return "stress never forks";
    case Bug::kCount:
      break;
  }
  return "unknown bug";
}

}  // namespace vfiosim::stress
