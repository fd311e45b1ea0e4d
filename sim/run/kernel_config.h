// The Kconfig facts the VFIO/mm model reads, from an evaluated kernel
// configuration: the one place that copies a kconfig::Config into a
// vfio::KernelConfig (sim/run/program.cc, sim/run/kconfig_matrix.cc and the
// model tests' harness use it).
#pragma once

#include "model/kconfig/evaluate.h"
#include "model/vfio/vfio_context.h"

namespace vfiosim::sim {

inline vfio::KernelConfig KernelConfigOf(const kconfig::Config& kc) {
  vfio::KernelConfig c;
  c.vfio_pci_mmap = kc.vfio_pci_mmap();
  c.vfio_pci_dmabuf = kc.vfio_pci_dmabuf();
  c.p2pdma_provider = kc.p2pdma_provider_available();
  c.pmd_pfnmap = kc.huge_pfnmap_pmd();
  c.pud_pfnmap = kc.huge_pfnmap_pud();
  return c;
}

}  // namespace vfiosim::sim
