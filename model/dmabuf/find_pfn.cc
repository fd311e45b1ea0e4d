#include "model/dmabuf/find_pfn.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_format.h"

namespace vfiosim::dmabuf {
namespace {

constexpr uint64_t kPageMask = (uint64_t{1} << kFindPfnPageShift) - 1;
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

// What both finders compute before searching: the aligned window's size and
// the buffer offset to look up. Returns a non-OK status when the lookup is
// already decided (fallback or hard error).
struct Window {
  uint64_t size;  // PAGE_SIZE << order
  uint64_t key;   // buffer offset looked up: the window's first byte (the
                  // faulting page's without the window check)
  uint64_t back;  // pages from the window's first page to key's
};

inline absl::Status ComputeWindow(const VmaWindow& vma, uint64_t address, unsigned order,
                                  FindPfnChecks checks, Window* w) {
  if (order > kMaxFindPfnOrder) {
    return absl::InvalidArgumentError(absl::StrFormat("fault order %u too large", order));
  }
  w->size = uint64_t{1} << (kFindPfnPageShift + order);
  const uint64_t addr = address & ~(w->size - 1);
  uint64_t from = addr;
  if (checks.window) {
    // The window [addr, addr + size) must lie inside [vm_start, vm_end).
    if (addr < vma.vm_start || addr >= vma.vm_end || w->size > vma.vm_end - addr) {
      return absl::UnavailableError("fault window crosses the vma");
    }
  } else {
    from = address & ~kPageMask;
  }
  w->back = (from - addr) >> kFindPfnPageShift;
  if (vma.vm_pgoff > (kU64Max >> kFindPfnPageShift)) {
    return absl::OutOfRangeError("vma pgoff beyond any buffer");
  }
  const uint64_t vma_off = vma.vm_pgoff << kFindPfnPageShift;
  const uint64_t rel = from - vma.vm_start;
  if (rel > kU64Max - vma_off) return absl::OutOfRangeError("fault offset beyond any buffer");
  w->key = rel + vma_off;
  return absl::OkStatus();
}

absl::Status BeyondBuffer() {
  return absl::OutOfRangeError("fault offset beyond the end of the dma-buf");
}

// The range [range_start, range_end) holds w.key at physical paddr.
inline absl::StatusOr<uint64_t> PfnInRange(const Window& w, unsigned order, FindPfnChecks checks,
                                           uint64_t paddr, uint64_t range_start, uint64_t range_end) {
  if (checks.window && w.size > range_end - w.key) {
    return absl::UnavailableError("fault window crosses a phys_vec range edge");
  }
  uint64_t pfn = ((paddr + (w.key - range_start)) >> kFindPfnPageShift) - w.back;
  const uint64_t mask = (uint64_t{1} << order) - 1;
  if ((pfn & mask) != 0) {
    if (checks.aligned) return absl::UnavailableError("pfn not aligned to the fault order");
    pfn &= ~mask;
  }
  return pfn;
}

}  // namespace

bool IsFallback(const absl::Status& status) { return absl::IsUnavailable(status); }

absl::StatusOr<uint64_t> ValidatePhysRanges(const std::vector<PhysRange>& ranges) {
  if (ranges.empty()) return absl::InvalidArgumentError("dma-buf has no phys_vec ranges");
  uint64_t total = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const PhysRange& r = ranges[i];
    if (r.len == 0) {
      return absl::InvalidArgumentError(absl::StrFormat("phys_vec[%d] has zero length", i));
    }
    if ((r.paddr & kPageMask) != 0 || (r.len & kPageMask) != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "phys_vec[%d] (paddr 0x%x, len 0x%x) is not page aligned", i, r.paddr, r.len));
    }
    if (r.paddr > kU64Max - (r.len - 1)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("phys_vec[%d] wraps the physical address space", i));
    }
    if (r.len > kU64Max - total) {
      return absl::InvalidArgumentError("phys_vec total length overflows 64 bits");
    }
    total += r.len;
  }
  return total;
}

// ---- LinearPfnFinder ----

absl::StatusOr<LinearPfnFinder> LinearPfnFinder::Create(std::vector<PhysRange> ranges) {
  absl::StatusOr<uint64_t> total = ValidatePhysRanges(ranges);
  if (!total.ok()) return total.status();
  return LinearPfnFinder(std::move(ranges), *total);
}

absl::StatusOr<uint64_t> LinearPfnFinder::Find(const VmaWindow& vma, uint64_t address,
                                               unsigned order, FindPfnChecks checks) const {
  Window w{};
  if (absl::Status s = ComputeWindow(vma, address, order, checks, &w); !s.ok()) return s;
  // Search upwards from buffer offset 0 for the range containing w.key.
  uint64_t range_start = 0;
  for (const PhysRange& r : ranges_) {
    const uint64_t range_end = range_start + r.len;
    if (w.key < range_end) return PfnInRange(w, order, checks, r.paddr, range_start, range_end);
    range_start = range_end;
  }
  return BeyondBuffer();
}

// ---- IndexedPfnFinder ----

IndexedPfnFinder::IndexedPfnFinder(std::vector<PhysRange> ranges) : ranges_(std::move(ranges)) {
  ends_.reserve(ranges_.size());
  paddr_.reserve(ranges_.size());
  uint64_t end = 0;
  for (const PhysRange& r : ranges_) {
    end += r.len;
    ends_.push_back(end);
    paddr_.push_back(r.paddr);
  }
  const size_t n = ends_.size();
  if (n <= kLinearScanMax) return;
  // A bucket no longer than the mean range: at most 2n buckets.
  bucket_shift_ = static_cast<unsigned>(63 - __builtin_clzll(end / n));
  const uint64_t buckets = ((end - 1) >> bucket_shift_) + 1;
  first_.reserve(buckets);
  size_t i = 0;
  for (uint64_t b = 0; b < buckets; ++b) {
    while (ends_[i] <= (b << bucket_shift_)) ++i;
    first_.push_back(i);
  }
}

absl::StatusOr<IndexedPfnFinder> IndexedPfnFinder::Create(std::vector<PhysRange> ranges) {
  absl::StatusOr<uint64_t> total = ValidatePhysRanges(ranges);
  if (!total.ok()) return total.status();
  return IndexedPfnFinder(std::move(ranges));
}

absl::StatusOr<uint64_t> IndexedPfnFinder::Find(const VmaWindow& vma, uint64_t address,
                                                unsigned order, FindPfnChecks checks) const {
  Window w{};
  if (absl::Status s = ComputeWindow(vma, address, order, checks, &w); !s.ok()) return s;
  const size_t n = ends_.size();
  const uint64_t* ends = ends_.data();
  size_t i;
  if (n <= kLinearScanMax) {
    i = 0;
    while (i < n && ends[i] <= w.key) ++i;
  } else if (w.key >= ends[n - 1]) {
    i = n;
  } else {
    // First range whose end is past w.key: between the range the key's bucket
    // starts in and the one the next bucket starts in.
    const uint64_t b = w.key >> bucket_shift_;
    const size_t lo = first_[b];
    const size_t hi = b + 1 < first_.size() ? first_[b + 1] : n - 1;
    if (hi - lo <= kLinearScanMax) {
      i = lo;
      while (ends[i] <= w.key) ++i;
    } else {
      i = static_cast<size_t>(std::upper_bound(ends + lo, ends + hi + 1, w.key) - ends);
    }
  }
  if (i == n) return BeyondBuffer();
  return PfnInRange(w, order, checks, paddr_[i], i == 0 ? 0 : ends[i - 1], ends[i]);
}

// ---- Factory ----

absl::StatusOr<std::unique_ptr<PfnFinder>> MakePfnFinder(PfnFinderKind kind,
                                                         std::vector<PhysRange> ranges) {
  switch (kind) {
    case PfnFinderKind::kLinear: {
      absl::StatusOr<LinearPfnFinder> f = LinearPfnFinder::Create(std::move(ranges));
      if (!f.ok()) return f.status();
      return std::make_unique<PfnFinderAdapter<LinearPfnFinder>>(*std::move(f));
    }
    case PfnFinderKind::kIndexed: {
      absl::StatusOr<IndexedPfnFinder> f = IndexedPfnFinder::Create(std::move(ranges));
      if (!f.ok()) return f.status();
      return std::make_unique<PfnFinderAdapter<IndexedPfnFinder>>(*std::move(f));
    }
  }
  return absl::InvalidArgumentError("unknown PfnFinderKind");
}

}  // namespace vfiosim::dmabuf
