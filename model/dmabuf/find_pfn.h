// Fault-address -> PFN lookup in a VFIO dma-buf's phys_vec[]. Models
// vfio_pci_dma_buf_find_pfn(), drivers/vfio/pci/vfio_pci_dmabuf.c, from
// "vfio/pci: Convert BAR mmap() to use a DMABUF" (Matt Evans, 2026), as called
// by vfio_pci_mmap_huge_fault() in drivers/vfio/pci/vfio_pci_core.c.
//
// The buffer's ranges are contiguous in buffer-offset space (range i covers
// offsets [len_0 + ... + len_{i-1}, + len_i)) while their physical addresses
// may be anywhere, in any order, overlapping or aliasing. For a fault of a
// given order the naturally aligned window around the address must lie in
// the vma and in a single range, and its pfn must be order-aligned; otherwise
// the lookup asks the caller to fall back to a smaller order (-EAGAIN).
//
// LinearPfnFinder walks the ranges from the first one, as the kernel does;
// IndexedPfnFinder binary-searches prefix sums built once. Both are plain
// (non-virtual) classes for templates; PfnFinder is the virtual interface.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vfiosim::dmabuf {

// One phys_vec[] entry (struct dma_buf_phys_vec): bytes, page aligned.
struct PhysRange {
  uint64_t paddr;
  uint64_t len;
};

// The parts of a vm_area_struct the lookup reads. vm_pgoff is in pages into
// the buffer (already stripped of VFIO's region-index bits).
struct VmaWindow {
  uint64_t vm_start;
  uint64_t vm_end;
  uint64_t vm_pgoff;
};

inline constexpr int kFindPfnPageShift = 12;
// Orders above this make the window wider than the 64-bit address space.
inline constexpr unsigned kMaxFindPfnOrder = 51;

// The huge-fault checks of the lookup, each of which a planted bug leaves out
// (model/bugs.cc). They matter only for order > 0.
struct FindPfnChecks {
  // The window lies in the vma and in one range. Without it
  // (huge-fault-no-range-check) the range is the faulting page's and the pfn
  // is counted back from that page to the window's first one.
  bool window = true;
  // The pfn is order-aligned. Without it (huge-fault-unaligned-pfn) the low
  // bits are dropped, as a PMD/PUD entry drops them.
  bool aligned = true;
};

// True for the -EAGAIN results (window crosses the vma or a range edge, or
// the pfn is misaligned for the order): the fault handler returns
// VM_FAULT_FALLBACK and the core retries with a smaller order. Any other
// error is a hard failure (VM_FAULT_SIGBUS).
bool IsFallback(const absl::Status& status);

// Checks what vfio's dma-buf export guarantees: at least one range, every
// paddr and len page aligned, every len non-zero, no range wrapping the
// physical address space and the total length fitting in 64 bits. Returns
// the total length. absl::InvalidArgumentError otherwise.
absl::StatusOr<uint64_t> ValidatePhysRanges(const std::vector<PhysRange>& ranges);

// Kernel-faithful: scans phys_vec[] from index 0 on every lookup. O(n).
class LinearPfnFinder {
 public:
  static absl::StatusOr<LinearPfnFinder> Create(std::vector<PhysRange> ranges);

  // The pfn of the first page of the (4096 << order)-byte window containing
  // `address`. absl::UnavailableError (IsFallback()) for -EAGAIN,
  // absl::OutOfRangeError when the offset lies beyond the buffer (or cannot
  // be represented), absl::InvalidArgumentError for order > kMaxFindPfnOrder.
  absl::StatusOr<uint64_t> Find(const VmaWindow& vma, uint64_t address, unsigned order,
                                FindPfnChecks checks = {}) const;

  const std::vector<PhysRange>& ranges() const { return ranges_; }
  uint64_t size() const { return size_; }

 private:
  LinearPfnFinder(std::vector<PhysRange> ranges, uint64_t size)
      : ranges_(std::move(ranges)), size_(size) {}

  std::vector<PhysRange> ranges_;
  uint64_t size_;
};

// Same results as LinearPfnFinder, in O(1) for ranges of similar length and
// O(log n) at worst: prefix sums of the lengths, and a bucket table over the
// buffer (about one bucket per range) giving the first range each bucket
// starts in; a lookup searches only the ranges of its bucket (a short linear
// scan for few ranges).
class IndexedPfnFinder {
 public:
  static absl::StatusOr<IndexedPfnFinder> Create(std::vector<PhysRange> ranges);

  absl::StatusOr<uint64_t> Find(const VmaWindow& vma, uint64_t address, unsigned order,
                                FindPfnChecks checks = {}) const;

  const std::vector<PhysRange>& ranges() const { return ranges_; }
  uint64_t size() const { return ends_.back(); }

 private:
  // At or below this many ranges Find() scans instead of binary-searching.
  static constexpr size_t kLinearScanMax = 8;

  explicit IndexedPfnFinder(std::vector<PhysRange> ranges);

  std::vector<PhysRange> ranges_;
  std::vector<uint64_t> ends_;   // ends_[i] = buffer offset one past range i
  std::vector<uint64_t> paddr_;  // paddr_[i] = ranges_[i].paddr
  // Above kLinearScanMax ranges: bucket b covers offsets [b << bucket_shift_,
  // (b + 1) << bucket_shift_) and first_[b] is the range its first byte is in.
  unsigned bucket_shift_ = 0;
  std::vector<size_t> first_;
};

template <typename T>
concept PfnFinderLike = requires(const T& f, const VmaWindow& vma, uint64_t address,
                                 unsigned order, FindPfnChecks checks) {
  { f.Find(vma, address, order, checks) } -> std::same_as<absl::StatusOr<uint64_t>>;
  { f.size() } -> std::same_as<uint64_t>;
};

// Virtual interface over the implementations.
class PfnFinder {
 public:
  virtual ~PfnFinder() = default;
  virtual absl::StatusOr<uint64_t> Find(const VmaWindow& vma, uint64_t address, unsigned order,
                                        FindPfnChecks checks) const = 0;
  absl::StatusOr<uint64_t> Find(const VmaWindow& vma, uint64_t address, unsigned order) const {
    return Find(vma, address, order, FindPfnChecks{});
  }
  virtual const std::vector<PhysRange>& ranges() const = 0;
  virtual uint64_t size() const = 0;
};

template <PfnFinderLike Impl>
class PfnFinderAdapter final : public PfnFinder {
 public:
  explicit PfnFinderAdapter(Impl impl) : impl_(std::move(impl)) {}
  using PfnFinder::Find;
  absl::StatusOr<uint64_t> Find(const VmaWindow& vma, uint64_t address, unsigned order,
                                FindPfnChecks checks) const override {
    return impl_.Find(vma, address, order, checks);
  }
  const std::vector<PhysRange>& ranges() const override { return impl_.ranges(); }
  uint64_t size() const override { return impl_.size(); }
  const Impl& impl() const { return impl_; }

 private:
  Impl impl_;
};

enum class PfnFinderKind { kLinear, kIndexed };

// Validates `ranges` (see ValidatePhysRanges()) and builds the finder.
absl::StatusOr<std::unique_ptr<PfnFinder>> MakePfnFinder(PfnFinderKind kind,
                                                         std::vector<PhysRange> ranges);

}  // namespace vfiosim::dmabuf
