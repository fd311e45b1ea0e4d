// The bug catalogue: mutants that reproduce real kernel bugs (`--bug NAME`,
// `bug NAME` in a scenario, `vfiosim list bugs`). Each is a branch at the exact
// code point of the bug in the model, never a copy of the function.
#pragma once

#include <bitset>
#include <optional>
#include <span>
#include <string_view>

namespace vfiosim {

enum class Bug {
  kNoZapOnRevoke,
  kNoZapOnCleanup,
  kFaultIgnoresRevoked,
  kZapBeforeLock,
  kFaultWithoutLock,
  kHugeFaultNoRangeCheck,
  kHugeFaultUnalignedPfn,
  kLegacyNoMemoryCheck,
  kImporterIgnoresMove,
  kLockInversion,
  kCloseBeforeCleanup,
  kLeakOnMunmap,
  kForkEscapesZap,
  // Bugs the kernel had and fixed (scenarios/history/, docs/history.md).
  kType1IgnoresPteWrite,
  kExportFdFailDoublePut,
  kPrefaultInMmap,
  kHugeFaultNeedsAlignedAddress,
  kPmcsrD3NoZap,
  kVfMemoryEnforced,
  kIommufdDestroyBeforeDetach,
  kBarRwHoldsMemoryLock,
  kCount,
};

struct BugInfo {
  Bug bug;
  std::string_view name;
  std::string_view description;
  std::string_view reference;  // kernel commit / discussion it reproduces
  // The scenario that exercises it: scenarios/bugs/ for the mutants of the
  // patch's review, scenarios/history/ for bugs the kernel had and fixed.
  std::string_view scenario;
};

std::span<const BugInfo> AllBugs();
std::optional<Bug> ParseBug(std::string_view name);
const BugInfo& GetBugInfo(Bug b);

// The set of injected bugs of one run.
class BugSet {
 public:
  bool has(Bug b) const { return bits_.test(static_cast<size_t>(b)); }
  void add(Bug b) { bits_.set(static_cast<size_t>(b)); }
  bool empty() const { return bits_.none(); }

 private:
  std::bitset<static_cast<size_t>(Bug::kCount)> bits_;
};

}  // namespace vfiosim
