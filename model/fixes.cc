#include "model/fixes.h"

#include <array>

namespace vfiosim {
namespace {
constexpr std::array<FixInfo, static_cast<size_t>(Fix::kCount)> kFixes = {{
    {Fix::kLegacyFallback, "legacy-fallback",
     "without a P2PDMA provider, BAR mmap falls back to the legacy fault path"},
    {Fix::kHideMmapFlag, "hide-mmap-flag",
     "VFIO_REGION_INFO_FLAG_MMAP is not advertised where BAR mmap cannot work"},
    {Fix::kP2pdmaCore, "p2pdma-core",
     "VFIO_PCI_CORE selects PCI_P2PDMA_CORE, a provider without ZONE_DEVICE or 64BIT"},
    {Fix::kFaultWaitsTempRevoke, "fault-waits-temp-revoke",
     "a fault on a temporarily revoked dma-buf waits on memory_lock and re-checks, as legacy does",
     /*kconfig=*/false},
}};
}  // namespace

std::span<const FixInfo> AllFixes() { return kFixes; }

std::optional<Fix> ParseFix(std::string_view name) {
  for (const FixInfo& f : kFixes)
    if (f.name == name) return f.fix;
  return std::nullopt;
}

}  // namespace vfiosim
