#include "sim/check/invariant.h"

#include <array>

namespace vfiosim::sim {
namespace {

constexpr std::array<InvariantInfo, static_cast<size_t>(Invariant::kCount)> kInvariants = {{
    {Invariant::kMmioWhileDisabled, "mmio-while-disabled",
     "a CPU access, an importer's dma or a peer's p2p reaches BAR memory while the device's memory "
     "decode is off, it is in D3/low power, or in reset"},
    {Invariant::kStalePte, "stale-pte",
     "while no thread holds memory_lock for write, a CPU leaf maps BAR pages that are not accessible "
     "(memory disabled, D3/low power, or the dma-buf behind the mapping revoked)"},
    {Invariant::kPfnOutOfRange, "pfn-out-of-range",
     "a PTE or importer mapping points outside the BAR (or the dma-buf's ranges), or a huge leaf is "
     "misaligned"},
    {Invariant::kImporterAfterMove, "importer-after-move",
     "an importer accesses a mapping after move_notify invalidated it and before it re-mapped"},
    {Invariant::kUseAfterFree, "use-after-free", "an access to a released object"},
    {Invariant::kLockOrder, "lock-order",
     "two lock classes are taken in both orders across the exploration (lockdep)"},
    {Invariant::kDeadlock, "deadlock", "every unfinished thread is blocked"},
    {Invariant::kLeak, "leak",
     "after the scenario closed every fd and exited every process, an object is still alive"},
    {Invariant::kMmapFlagLies, "mmap-flag-lies",
     "info reports mmap for a BAR whose mmap then fails with an error other than EAGAIN"},
    {Invariant::kIommuProtEscalation, "iommu-prot-escalation",
     "a writable IOMMU mapping (iommu-map prot=rw) takes the PFN of a read-only PTE"},
}};

}  // namespace

std::span<const InvariantInfo> AllInvariants() { return kInvariants; }

std::optional<Invariant> ParseInvariant(std::string_view name) {
  for (const InvariantInfo& i : kInvariants)
    if (i.name == name) return i.inv;
  return std::nullopt;
}

std::string_view InvariantName(Invariant inv) {
  return kInvariants[static_cast<size_t>(inv)].name;
}

}  // namespace vfiosim::sim
