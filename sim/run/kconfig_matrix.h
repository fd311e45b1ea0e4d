// The Kconfig matrix: what BAR mmap does on each kernel the review of "vfio/pci:
// convert BAR mmap to a DMABUF" worries about. For every arch x ZONE_DEVICE x
// DMA_SHARED_BUFFER x variant x fix that Kconfig allows, the kernel's Kconfig is
// evaluated, a Machine with one device is built and a fixed probe runs on it
// straight through (sim::FreeRunner) under a Checker:
//
//   info bar=0; mmap bar=0; read; export bar=0; mmap+read of BAR2 (64-bit);
//   command mem=0; read   (does revocation still zap what was mapped?)
//
//   KconfigMatrix m = BuildKconfigMatrix();
//   for (const KconfigMatrixRow& r : m.rows) if (r.probe.flag_lies) ...;
//
// The probe of one kernel is ProbeBarMmap(). `vfiosim kconfig --matrix`
// (sim/cli/kconfig_command.cc) prints it; tests/run/kconfig_matrix_test.cc checks it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/arch.h"
#include "model/fixes.h"
#include "model/kconfig/evaluate.h"
#include "model/vfio/vfio_context.h"

namespace vfiosim::sim {

// What the probe saw on one kernel.
struct KconfigProbe {
  int mmap_errno = 0;            // mmap of BAR0: 0 when it succeeded
  bool mmap_via_dmabuf = false;  // the mapping's file is a dma-buf (the patch's path)
  bool mmap_flag = false;        // `info bar=0` advertised VFIO_REGION_INFO_FLAG_MMAP
  bool flag_lies = false;        // the checker reported mmap-flag-lies
  int export_errno = 0;          // VFIO_DEVICE_FEATURE_DMA_BUF of BAR0: 0 when it succeeded
  uint64_t largest_leaf = 0;     // the largest page-table leaf a fault installed (bytes; 0: none)
  // After `command mem=0`: were the mapped leaves zapped and does a new access
  // get SIGBUS?
  enum class Zap { kNothingMapped, kZapped, kStale };
  Zap zap = Zap::kNothingMapped;
  // The first invariant the checker reported ("" when none) and its message.
  std::string violation;
  std::string violation_message;
};

// One kernel of the matrix: its coordinates, the Kconfig facts that matter,
// and the probe.
struct KconfigMatrixRow {
  Arch arch = Arch::kX86_64;
  bool zone_device = false;
  bool dma_shared_buffer = false;
  Variant variant = Variant::kDmabuf;
  std::optional<Fix> fix;  // nullopt: no fix
  bool pci_p2pdma = false;
  bool pci_p2pdma_core = false;  // only with the p2pdma-core fix
  bool vfio_pci_dmabuf = false;
  KconfigProbe probe;
};

// A combination Kconfig forbids (an explicit setting contradicts the rules).
struct KconfigMatrixSkip {
  Arch arch = Arch::kX86_64;
  bool zone_device = false;
  bool dma_shared_buffer = false;
  Variant variant = Variant::kDmabuf;
  std::optional<Fix> fix;
  std::string reason;  // the evaluator's message
};

struct KconfigMatrix {
  std::vector<KconfigMatrixRow> rows;  // in axis order: arch, ZONE_DEVICE, DMA_SHARED_BUFFER, variant, fix
  std::vector<KconfigMatrixSkip> skipped;
  // The row with these coordinates, or nullptr (skipped or out of range).
  const KconfigMatrixRow* Find(Arch arch, bool zone_device, bool dma_shared_buffer, Variant variant,
                               std::optional<Fix> fix) const;
};

// The machine's VFIO context for an evaluated kernel: Kconfig facts (KernelConfigOf)
// and fixes.
vfio::VfioContext MakeVfioContext(Variant variant, const kconfig::Config& kc, std::optional<Fix> fix);

// Runs the probe on one kernel (one device: BAR0 2M mem64; BAR2 1G mem64 on
// 64-bit arches).
KconfigProbe ProbeBarMmap(Arch arch, const vfio::VfioContext& ctx);

// Every combination of the axes: evaluates, probes, or records why it is skipped.
KconfigMatrix BuildKconfigMatrix();

}  // namespace vfiosim::sim
