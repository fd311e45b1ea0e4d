// What every VFIO model function may consult about the machine it runs in: the
// variant, the evaluated Kconfig facts, injected bugs, fixes, and the observer.
#pragma once

#include <cstdint>
#include <vector>

#include "model/arch.h"
#include "model/bugs.h"
#include "model/dmabuf/find_pfn.h"
#include "model/mm/file.h"

namespace vfiosim::vfio {

// The Kconfig facts the VFIO/mm model reads (from model/kconfig evaluation).
struct KernelConfig {
  bool vfio_pci_mmap = true;      // CONFIG_VFIO_PCI_MMAP
  bool vfio_pci_dmabuf = true;    // CONFIG_VFIO_PCI_DMABUF (export feature built)
  bool p2pdma_provider = true;    // pcim_p2pdma_provider() can return a provider
  bool pmd_pfnmap = true;         // CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
  bool pud_pfnmap = true;         // CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
};

struct FixOptions {
  bool legacy_fallback = false;
  bool hide_mmap_flag = false;
  bool fault_waits_temp_revoke = false;
};

struct VfioObserver;

struct VfioContext {
  Variant variant = Variant::kDmabuf;
  KernelConfig config;
  FixOptions fixes;
  BugSet bugs;
  dmabuf::PfnFinderKind find_pfn = dmabuf::PfnFinderKind::kLinear;  // each dma-buf's finder
  VfioObserver* observer = nullptr;

  bool bug(Bug b) const { return bugs.has(b); }
};

}  // namespace vfiosim::vfio
