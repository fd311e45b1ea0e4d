// The ten invariants of the scenario language (spec, "Invariants"), checked after
// every step by the Checker.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace vfiosim::sim {

enum class Invariant {
  kMmioWhileDisabled,
  kStalePte,
  kPfnOutOfRange,
  kImporterAfterMove,
  kUseAfterFree,
  kLockOrder,
  kDeadlock,
  kLeak,
  kMmapFlagLies,
  kIommuProtEscalation,
  kCount,
};

struct InvariantInfo {
  Invariant inv;
  std::string_view name;
  std::string_view description;
};

std::span<const InvariantInfo> AllInvariants();
std::optional<Invariant> ParseInvariant(std::string_view name);
std::string_view InvariantName(Invariant inv);

}  // namespace vfiosim::sim
