// A log-linear latency histogram (HdrHistogram-like): exact below 64 ns, then
// 32 sub-buckets per power of two (resolution about 3%). Fixed size, no
// allocation per sample, one per thread, merged at the end of a run.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

namespace vfiosim::stress {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 5;                   // 32 sub-buckets per octave
  static constexpr int kLinear = 2 << kSubBits;        // values below 64 are exact
  static constexpr int kOctaves = 64 - (kSubBits + 1);  // octaves above the linear part
  static constexpr int kBuckets = kLinear + kOctaves * (1 << kSubBits);

  void Add(uint64_t v) {
    ++counts_[Bucket(v)];
    ++count_;
    if (v > max_) max_ = v;
    if (count_ == 1 || v < min_) min_ = v;
    sum_ += v;
  }
  void Merge(const LatencyHistogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    if (o.count_ && (count_ == 0 || o.min_ < min_)) min_ = o.min_;
    count_ += o.count_;
    if (o.max_ > max_) max_ = o.max_;
    sum_ += o.sum_;
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  uint64_t min() const { return min_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }

  // The value at quantile q (0..1): the upper edge of the bucket holding the
  // q-th sample, clamped to the maximum seen.
  uint64_t Quantile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_));
    if (rank >= count_) rank = count_ - 1;
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen > rank) {
        const uint64_t hi = UpperEdge(i);
        return hi < max_ ? hi : max_;
      }
    }
    return max_;
  }

  // Non-empty buckets as (upper edge in ns, count), ascending: enough to draw
  // the CDF.
  std::vector<std::pair<uint64_t, uint64_t>> Buckets() const {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (int i = 0; i < kBuckets; ++i)
      if (counts_[i]) out.emplace_back(UpperEdge(i), counts_[i]);
    return out;
  }

  static int Bucket(uint64_t v) {
    if (v < static_cast<uint64_t>(kLinear)) return static_cast<int>(v);
    const int e = 63 - std::countl_zero(v);          // v in [2^e, 2^(e+1)), e >= kSubBits + 1
    const int sub = static_cast<int>((v >> (e - kSubBits)) & ((1 << kSubBits) - 1));
    return kLinear + (e - (kSubBits + 1)) * (1 << kSubBits) + sub;
  }
  // Largest value that falls in bucket i.
  static uint64_t UpperEdge(int i) {
    if (i < kLinear) return static_cast<uint64_t>(i);
    const int k = i - kLinear;
    const int e = k / (1 << kSubBits) + kSubBits + 1;
    const uint64_t sub = static_cast<uint64_t>(k % (1 << kSubBits));
    const uint64_t lo = (uint64_t{1} << e) + (sub << (e - kSubBits));
    return lo + (uint64_t{1} << (e - kSubBits)) - 1;
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0, max_ = 0, min_ = 0, sum_ = 0;
};

}  // namespace vfiosim::stress
