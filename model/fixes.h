// Proposed fixes for the review's Kconfig regression (`--fix=NAME`, `fix NAME`):
// see docs/kconfig-matrix.md.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace vfiosim {

enum class Fix {
  kLegacyFallback,  // without a P2PDMA provider, BAR mmap falls back to the legacy fault path
  kHideMmapFlag,    // region info stops advertising MMAP where mmap cannot work
  kP2pdmaCore,      // PCI_P2PDMA_CORE: a provider without ZONE_DEVICE or 64BIT
  kCount,
};

struct FixInfo {
  Fix fix;
  std::string_view name;
  std::string_view description;
};

std::span<const FixInfo> AllFixes();
std::optional<Fix> ParseFix(std::string_view name);

}  // namespace vfiosim
