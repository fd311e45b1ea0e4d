#include "model/mm/geometry.h"

#include "absl/strings/str_format.h"

namespace vfiosim::mm {

Geometry Geometry::ForArch(vfiosim::Arch arch) {
  switch (arch) {
    case vfiosim::Arch::kX86_64:
    case vfiosim::Arch::kArm64:
      return Geometry{{{39, 9}, {kPudShift, 9}, {kPmdShift, 9}, {kPageShift, 9}}};
    case vfiosim::Arch::kI386:
      return Geometry{{{22, 10}, {kPageShift, 10}}};
  }
  return Geometry{};
}

int Geometry::LevelIndex(int shift) const {
  for (int i = 0; i < num_levels(); ++i) {
    if (levels[i].shift == shift) return i;
  }
  return -1;
}

uint64_t Geometry::va_limit() const {
  if (levels.empty()) return 0;
  const int top = levels.front().shift + levels.front().bits;
  return top >= 64 ? ~uint64_t{0} : uint64_t{1} << top;
}

absl::Status Geometry::Validate() const {
  if (levels.empty() || num_levels() > kMaxLevels) {
    return absl::InvalidArgumentError(
        absl::StrFormat("geometry needs 1..%d levels, has %d", kMaxLevels, num_levels()));
  }
  if (levels.back().shift != kPageShift) {
    return absl::InvalidArgumentError("geometry's last level must map 4K pages");
  }
  for (int i = 0; i < num_levels(); ++i) {
    const Level& l = levels[i];
    if (l.bits < 1 || l.bits > kMaxLevelBits) {
      return absl::InvalidArgumentError(
          absl::StrFormat("level %d has %d bits (want 1..%d)", i, l.bits, kMaxLevelBits));
    }
    if (i > 0 && levels[i - 1].shift != l.shift + l.bits) {
      return absl::InvalidArgumentError(
          absl::StrFormat("level %d (shift %d, %d bits) does not tile level %d (shift %d)", i,
                          l.shift, l.bits, i - 1, levels[i - 1].shift));
    }
  }
  if (levels.front().shift + levels.front().bits > 63) {
    return absl::InvalidArgumentError("geometry translates more than 63 VA bits");
  }
  return absl::OkStatus();
}

bool operator==(const Geometry& a, const Geometry& b) { return a.levels == b.levels; }

}  // namespace vfiosim::mm
