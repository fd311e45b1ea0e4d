// Page-table level layout of an MMU: which levels exist and how many VA bits
// each one translates. Models the PGDIR/P4D/PUD/PMD/PAGE_SHIFT constants of
// arch/x86/include/asm/pgtable_64_types.h (4-level), pgtable-2level_types.h
// (i386 without PAE) and arch/arm64/include/asm/pgtable-hwdef.h (4K granule).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "model/arch.h"

namespace vfiosim::mm {

inline constexpr int kPageShift = 12;  // PAGE_SHIFT
inline constexpr int kPmdShift = 21;   // PMD_SHIFT (x86_64, arm64 4K)
inline constexpr int kPudShift = 30;   // PUD_SHIFT (x86_64, arm64 4K)
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;
inline constexpr int kMaxLevels = 5;     // pgd, p4d, pud, pmd, pte
inline constexpr int kMaxLevelBits = 12;  // at most 4096 entries per table

// One translation level: entries of this level each map 1 << shift bytes, a
// table of this level has 1 << bits entries.
struct Level {
  int shift;
  int bits;
};

struct Geometry {
  // Levels top-down (pgd first, pte last).
  std::vector<Level> levels;

  // x86_64 / arm64-4K: 39/30/21/12 x 9 bits; i386: 22/12 x 10 bits.
  static Geometry ForArch(vfiosim::Arch arch);

  // True when the sizes of page a leaf entry may have (4K, 2M, 1G) include
  // `shift`; says nothing about which geometry has it.
  static constexpr bool IsLeafShift(int shift) {
    return shift == kPageShift || shift == kPmdShift || shift == kPudShift;
  }

  // True when some level of this geometry has entries of size 1 << shift.
  bool HasLevel(int shift) const { return LevelIndex(shift) >= 0; }
  // True when a leaf of size 1 << shift can be placed structurally (the
  // level exists and is a 4K/2M/1G level). Whether the arch/Kconfig allows
  // huge pfnmap leaves is the caller's business.
  bool CanPlaceLeaf(int shift) const { return IsLeafShift(shift) && HasLevel(shift); }
  // Index into `levels` of the level with that shift, or -1.
  int LevelIndex(int shift) const;
  int num_levels() const { return static_cast<int>(levels.size()); }
  // One past the highest translatable VA (1 << 48 on x86_64, 1 << 32 on i386).
  uint64_t va_limit() const;

  // Checks the levels form a radix tree ending in 4K pages.
  absl::Status Validate() const;

  friend bool operator==(const Geometry& a, const Geometry& b);
};

inline bool operator==(const Level& a, const Level& b) {
  return a.shift == b.shift && a.bits == b.bits;
}

// Same as Geometry::ForArch().
inline Geometry ForArch(vfiosim::Arch arch) { return Geometry::ForArch(arch); }

}  // namespace vfiosim::mm
