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
    case Bug::kType1IgnoresPteWrite:
      return "stress maps nothing into an IOMMU (VFIO_IOMMU_MAP_DMA)";
    case Bug::kExportFdFailDoublePut:
      return "stress exports no dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF)";
    case Bug::kPrefaultInMmap:
      return "stress mmaps in setup, before any revoker runs";
    case Bug::kHugeFaultNeedsAlignedAddress:
      return "stress does not check this one";
    case Bug::kPmcsrD3NoZap:
      return "stress enters D3 through the low-power feature, not a PMCSR config write";
    case Bug::kVfMemoryEnforced:
      return "stress's device is not a VF";
    case Bug::kIommufdDestroyBeforeDetach:
      return "stress has no iommufd importer (iommufd-map, iommufd-unmap)";
    case Bug::kBarRwHoldsMemoryLock:
      return "stress never reads the device fd (pread)";
    case Bug::kCount:
      break;
  }
  return "unknown bug";
}

}  // namespace vfiosim::stress
