// vfiosim's proposed fixes (`--fix=NAME`, `fix NAME`): three for the review's
// Kconfig regression (docs/kconfig-matrix.md) and one for the fault during a
// reset (docs/findings.md). Proposals, not kernel code.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace vfiosim {

enum class Fix {
  kLegacyFallback,  // without a P2PDMA provider, BAR mmap falls back to the legacy fault path
  kHideMmapFlag,    // region info stops advertising MMAP where mmap cannot work
  kP2pdmaCore,      // PCI_P2PDMA_CORE: a provider without ZONE_DEVICE or 64BIT
  kFaultWaitsTempRevoke,  // a fault on a temporarily revoked dma-buf waits on memory_lock
  kCount,
};

struct FixInfo {
  Fix fix;
  std::string_view name;
  std::string_view description;
  bool kconfig = true;  // one of the Kconfig regression's fixes (the matrix compares them)
};

std::span<const FixInfo> AllFixes();
std::optional<Fix> ParseFix(std::string_view name);

}  // namespace vfiosim
