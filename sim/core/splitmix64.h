// splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): tiny, fully specified and the same on every
// platform, so a seed names the same numbers everywhere (random and PCT
// exploration, stress threads, generated scenarios).
#pragma once

#include <cstdint>

namespace vfiosim {

struct SplitMix64 {
  static constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio
  uint64_t state;

  uint64_t Next() {
    uint64_t z = (state += kGamma);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

}  // namespace vfiosim
