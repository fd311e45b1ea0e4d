// Tests for model/dmabuf/find_pfn.h: both finders against the rules of
// vfio_pci_dma_buf_find_pfn(), and against each other on random inputs.
#include "model/dmabuf/find_pfn.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace vfiosim::dmabuf {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t k2M = uint64_t{2} << 20;
constexpr uint64_t k1G = uint64_t{1} << 30;

template <typename Finder>
Finder MustCreate(std::vector<PhysRange> ranges) {
  absl::StatusOr<Finder> f = Finder::Create(std::move(ranges));
  EXPECT_TRUE(f.ok()) << f.status();
  return *std::move(f);
}

// Behaviour tests run against both implementations.
template <typename Finder>
class FindPfnTest : public ::testing::Test {};
using Finders = ::testing::Types<LinearPfnFinder, IndexedPfnFinder>;
TYPED_TEST_SUITE(FindPfnTest, Finders);

TYPED_TEST(FindPfnTest, CreateRejectsEmptyRanges) {
  EXPECT_TRUE(absl::IsInvalidArgument(TypeParam::Create({}).status()));
}

TYPED_TEST(FindPfnTest, CreateRejectsUnalignedOrEmptyRange) {
  EXPECT_TRUE(absl::IsInvalidArgument(TypeParam::Create({{0x1000, 0x800}}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(TypeParam::Create({{0x1800, 0x1000}}).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(TypeParam::Create({{0x1000, 0x1000}, {0x2000, 0}}).status()));
}

TYPED_TEST(FindPfnTest, CreateRejectsTotalOverflowAndWrap) {
  const uint64_t half = uint64_t{1} << 63;
  EXPECT_TRUE(absl::IsInvalidArgument(TypeParam::Create({{0, half}, {0, half}}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(TypeParam::Create({{half + kPage, half}}).status()));
  EXPECT_TRUE(TypeParam::Create({{half, half}}).ok());  // ends exactly at 2^64
}

TYPED_TEST(FindPfnTest, SingleRangeOrder0ReturnsPfnOfPage) {
  const TypeParam f = MustCreate<TypeParam>({{0xf000000000, 16 * k2M}});
  const VmaWindow vma{0x7f0000000000, 0x7f0000000000 + 16 * k2M, 0};
  EXPECT_EQ(*f.Find(vma, 0x7f0000000000, 0), 0xf000000u);
  EXPECT_EQ(*f.Find(vma, 0x7f0000003abc, 0), 0xf000003u);
  EXPECT_EQ(f.size(), 16 * k2M);
}

TYPED_TEST(FindPfnTest, VmPgoffOffsetsIntoBuffer) {
  const TypeParam f = MustCreate<TypeParam>({{0x100000000, 64 * kPage}});
  const VmaWindow vma{0x10000000, 0x10000000 + 8 * kPage, /*vm_pgoff=*/5};
  EXPECT_EQ(*f.Find(vma, 0x10000000, 0), 0x100005u);
  EXPECT_EQ(*f.Find(vma, 0x10000000 + 7 * kPage, 0), 0x10000cu);
}

TYPED_TEST(FindPfnTest, LaterRangeUsesItsOwnPaddr) {
  // Buffer offsets: [0,8K) -> 0x50000000, [8K,24K) -> 0x10000000 (lower paddr).
  const TypeParam f = MustCreate<TypeParam>({{0x50000000, 2 * kPage}, {0x10000000, 4 * kPage}});
  const VmaWindow vma{0x40000000, 0x40000000 + 6 * kPage, 0};
  EXPECT_EQ(*f.Find(vma, 0x40000000 + 1 * kPage, 0), 0x50001u);
  EXPECT_EQ(*f.Find(vma, 0x40000000 + 2 * kPage, 0), 0x10000u);
  EXPECT_EQ(*f.Find(vma, 0x40000000 + 5 * kPage + 12, 0), 0x10003u);
}

TYPED_TEST(FindPfnTest, AliasedRangesResolveToSamePfn) {
  const TypeParam f = MustCreate<TypeParam>({{0x80000000, k2M}, {0x80000000, k2M}});
  const VmaWindow vma{0x200000000, 0x200000000 + 2 * k2M, 0};
  EXPECT_EQ(*f.Find(vma, 0x200000000, 9), 0x80000u);
  EXPECT_EQ(*f.Find(vma, 0x200000000 + k2M, 9), 0x80000u);
}

TYPED_TEST(FindPfnTest, HugeOrdersSucceedWhenAlignedAndContained) {
  const TypeParam f = MustCreate<TypeParam>({{4 * k1G, 2 * k1G}});
  const VmaWindow vma{16 * k1G, 18 * k1G, 0};
  EXPECT_EQ(*f.Find(vma, 17 * k1G + 0x12345, 18), (5 * k1G) >> 12);
  EXPECT_EQ(*f.Find(vma, 17 * k1G + 3 * k2M + 7, 9), (5 * k1G + 3 * k2M) >> 12);
}

TYPED_TEST(FindPfnTest, WindowCrossingVmaEdgeFallsBack) {
  const TypeParam f = MustCreate<TypeParam>({{0, 8 * k2M}});
  // vma starts 4K into a 2M frame: the 2M window around its first page leaks out.
  const VmaWindow vma{k2M + kPage, 4 * k2M, 0};
  const absl::StatusOr<uint64_t> r = f.Find(vma, k2M + kPage, 9);
  EXPECT_TRUE(IsFallback(r.status())) << r.status();
  // The vma's last, partial 2M frame as well.
  const VmaWindow short_end{2 * k2M, 3 * k2M + kPage, 0};
  EXPECT_TRUE(IsFallback(f.Find(short_end, 3 * k2M, 9).status()));
  EXPECT_TRUE(f.Find(short_end, 3 * k2M, 0).ok());
}

TYPED_TEST(FindPfnTest, WindowCrossingRangeEdgeFallsBack) {
  // Two 1M ranges back to back in offset space (and physically contiguous):
  // a 2M window spans both, so it must fall back even though paddrs line up.
  const TypeParam f = MustCreate<TypeParam>({{0x40000000, k2M / 2}, {0x40100000, k2M / 2}});
  const VmaWindow vma{0x600000000, 0x600000000 + k2M, 0};
  EXPECT_TRUE(IsFallback(f.Find(vma, 0x600000000 + 0x1000, 9).status()));
  EXPECT_EQ(*f.Find(vma, 0x600000000 + 0x180000, 0), 0x40180u);
}

TYPED_TEST(FindPfnTest, MisalignedPfnFallsBack) {
  // The range is 4K-aligned physically, not 2M-aligned.
  const TypeParam f = MustCreate<TypeParam>({{0x80001000, 4 * k2M}});
  const VmaWindow vma{0x200000000, 0x200000000 + 4 * k2M, 0};
  const absl::StatusOr<uint64_t> r = f.Find(vma, 0x200000000, 9);
  EXPECT_TRUE(IsFallback(r.status())) << r.status();
  EXPECT_EQ(*f.Find(vma, 0x200000000, 0), 0x80001u);
}

// The checks the huge-fault mutants leave out (FindPfnChecks).
TYPED_TEST(FindPfnTest, ChecksLeftOutByMutants) {
  const TypeParam f = MustCreate<TypeParam>({{0x201000, 4 * k2M}});
  const uint64_t v = 0x40000000;
  // The 2M window [v, v + 2M) starts a page below the vma: without the window
  // check the pfn is counted back from the faulting page's.
  const VmaWindow below{v + kPage, v + kPage + 2 * k2M, 0};
  EXPECT_TRUE(IsFallback(f.Find(below, v + 2 * kPage, 9).status()));
  EXPECT_EQ(*f.Find(below, v + 2 * kPage, 9, {.window = false}), 0x200u);
  // A window inside the vma and the range whose pfn is not 2M aligned:
  // without the alignment check the low bits are dropped.
  const VmaWindow whole{v, v + 2 * k2M, 0};
  EXPECT_TRUE(IsFallback(f.Find(whole, v, 9).status()));
  EXPECT_EQ(*f.Find(whole, v, 9, {.aligned = false}), 0x200u);
}

TYPED_TEST(FindPfnTest, OffsetBeyondBufferIsHardError) {
  const TypeParam f = MustCreate<TypeParam>({{0x1000000, 4 * kPage}});
  // The vma is larger than the buffer (or its pgoff points past it).
  const VmaWindow vma{0x10000000, 0x10000000 + 8 * kPage, 0};
  const absl::StatusOr<uint64_t> r = f.Find(vma, 0x10000000 + 4 * kPage, 0);
  EXPECT_TRUE(absl::IsOutOfRange(r.status())) << r.status();
  EXPECT_FALSE(IsFallback(r.status()));
  const VmaWindow past{0x10000000, 0x10000000 + kPage, /*vm_pgoff=*/4};
  EXPECT_TRUE(absl::IsOutOfRange(f.Find(past, 0x10000000, 0).status()));
  const VmaWindow huge_pgoff{0x10000000, 0x10000000 + kPage, ~uint64_t{0}};
  EXPECT_TRUE(absl::IsOutOfRange(f.Find(huge_pgoff, 0x10000000, 0).status()));
}

TYPED_TEST(FindPfnTest, Order0NeverFallsBackInsideVmaAndBuffer) {
  std::vector<PhysRange> ranges;
  for (uint64_t i = 0; i < 40; ++i) ranges.push_back({(97 - i) * 0x3000, (i % 3 + 1) * kPage});
  const TypeParam f = MustCreate<TypeParam>(ranges);
  const VmaWindow vma{0x7000000000, 0x7000000000 + f.size(), 0};
  uint64_t off = 0;
  for (const PhysRange& r : ranges) {
    for (uint64_t p = 0; p < r.len; p += kPage, off += kPage) {
      const absl::StatusOr<uint64_t> got = f.Find(vma, vma.vm_start + off + 5, 0);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, (r.paddr + p) >> 12);
    }
  }
}

TYPED_TEST(FindPfnTest, ManyRangesFindEachRangeStart) {
  std::vector<PhysRange> ranges;
  for (uint64_t i = 0; i < 4096; ++i) ranges.push_back({(i * 7919 % 4096) * k2M, k2M});
  const TypeParam f = MustCreate<TypeParam>(ranges);
  const VmaWindow vma{64 * k1G, 64 * k1G + f.size(), 0};
  for (uint64_t i = 0; i < 4096; i += 37) {
    EXPECT_EQ(*f.Find(vma, vma.vm_start + i * k2M + 0x1234, 9), ranges[i].paddr >> 12) << i;
  }
  EXPECT_TRUE(absl::IsOutOfRange(
      f.Find(VmaWindow{0, 2 * f.size(), 0}, f.size() + k2M, 9).status()));
}

TYPED_TEST(FindPfnTest, OversizedOrderIsInvalidArgument) {
  const TypeParam f = MustCreate<TypeParam>({{0, kPage}});
  EXPECT_TRUE(absl::IsInvalidArgument(f.Find(VmaWindow{0, kPage, 0}, 0, 60).status()));
}

// ---- Interface-level tests ----

TEST(FindPfnInterfaceTest, IsFallbackOnlyForUnavailable) {
  EXPECT_TRUE(IsFallback(absl::UnavailableError("x")));
  EXPECT_FALSE(IsFallback(absl::OutOfRangeError("x")));
  EXPECT_FALSE(IsFallback(absl::OkStatus()));
  EXPECT_FALSE(IsFallback(absl::InvalidArgumentError("x")));
}

TEST(FindPfnInterfaceTest, MakePfnFinderDispatchesToBothKinds) {
  const std::vector<PhysRange> ranges = {{0x90000000, 2 * kPage}, {0x20000000, 2 * kPage}};
  const VmaWindow vma{0x1000000, 0x1000000 + 4 * kPage, 0};
  for (PfnFinderKind kind : {PfnFinderKind::kLinear, PfnFinderKind::kIndexed}) {
    absl::StatusOr<std::unique_ptr<PfnFinder>> f = MakePfnFinder(kind, ranges);
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ(*(*f)->Find(vma, 0x1000000 + 3 * kPage, 0), 0x20001u);
    EXPECT_EQ((*f)->size(), 4 * kPage);
    EXPECT_EQ((*f)->ranges().size(), 2u);
  }
  EXPECT_TRUE(absl::IsInvalidArgument(MakePfnFinder(PfnFinderKind::kIndexed, {}).status()));
}

TEST(FindPfnInterfaceTest, ValidatePhysRangesReturnsTotal) {
  absl::StatusOr<uint64_t> total = ValidatePhysRanges({{0, kPage}, {k1G, 3 * kPage}});
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(*total, 4 * kPage);
}

// Random phys_vec[] lists, vmas, addresses and orders: the indexed finder
// must agree with the kernel-faithful linear one on every lookup (same pfn,
// or the same error class).
TEST(FindPfnPropertyTest, RandomizedLinearAndIndexedAgree) {
  std::mt19937_64 rng(0x5eed'f1d0'9fe1ULL);
  auto uniform = [&](uint64_t lo, uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  const uint64_t grains[] = {kPage, k2M, k1G};
  const unsigned orders[] = {0, 9, 18};
  int ok_by_order[3] = {0, 0, 0};
  int fallbacks = 0, hard = 0, lookups = 0;

  for (int iter = 0; iter < 3000; ++iter) {
    // One iteration in three is "huge friendly": every range, the vma and
    // its pgoff use one 2M or 1G grain, so order 9/18 windows can succeed.
    const bool friendly = iter % 3 == 0;
    const uint64_t fg = grains[uniform(1, 2)];
    const size_t n = iter % 10 == 1 ? uniform(100, 600) : uniform(1, 12);
    std::vector<PhysRange> ranges;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t g =
          friendly ? fg : grains[uniform(0, 9) < 5 ? 1 : (uniform(0, 3) == 0 ? 2 : 0)];
      const uint64_t paddr = uniform(0, (uint64_t{1} << 46) / g) * g;
      const uint64_t len =
          !friendly && uniform(0, 3) == 0 ? uniform(1, 700) * kPage : uniform(1, 3) * g;
      ranges.push_back({paddr, len});
    }
    absl::StatusOr<LinearPfnFinder> linear = LinearPfnFinder::Create(ranges);
    absl::StatusOr<IndexedPfnFinder> indexed = IndexedPfnFinder::Create(ranges);
    ASSERT_TRUE(linear.ok() && indexed.ok());
    const uint64_t total_pages = linear->size() / kPage;

    for (int v = 0; v < 4; ++v) {
      const uint64_t vg = friendly ? fg : grains[uniform(0, 2)];
      const uint64_t pg = (friendly ? fg : grains[uniform(0, 1)]) / kPage;
      const uint64_t pgoff = uniform(0, (total_pages + 4) / pg) * pg;
      const uint64_t vm_start = uniform(1, (uint64_t{1} << 46) / vg) * vg;
      const uint64_t max_pages = total_pages > pgoff ? total_pages - pgoff + 2 : 2;
      uint64_t vm_len = uniform(1, max_pages) * kPage;
      if (friendly) vm_len = (vm_len + fg - 1) / fg * fg;
      const VmaWindow vma{vm_start, vm_start + vm_len, pgoff};
      for (int a = 0; a < 12; ++a) {
        const uint64_t address =
            uniform(0, 7) == 0 ? vm_start - uniform(1, k2M) : vm_start + uniform(0, vm_len - 1);
        const int oi = static_cast<int>(uniform(0, 2));
        const absl::StatusOr<uint64_t> l = linear->Find(vma, address, orders[oi]);
        const absl::StatusOr<uint64_t> x = indexed->Find(vma, address, orders[oi]);
        ++lookups;
        ASSERT_EQ(l.status().code(), x.status().code())
            << "iter " << iter << " addr 0x" << std::hex << address << " order "
            << orders[oi] << ": " << l.status() << " vs " << x.status();
        if (l.ok()) {
          ASSERT_EQ(*l, *x) << "iter " << iter;
          ++ok_by_order[oi];
        } else if (IsFallback(l.status())) {
          ++fallbacks;
        } else {
          ASSERT_TRUE(absl::IsOutOfRange(l.status())) << l.status();
          ++hard;
        }
      }
    }
  }
  // The generator must exercise every outcome.
  EXPECT_GT(ok_by_order[0], 10000);
  EXPECT_GT(ok_by_order[1], 2000);
  EXPECT_GT(ok_by_order[2], 1000);
  EXPECT_GT(fallbacks, 10000);
  EXPECT_GT(hard, 1000);
  EXPECT_EQ(lookups, 3000 * 4 * 12);
}

// One 1G range then a thousand 4K ones: the bucket table's buckets (about the
// mean range length) each hold hundreds of the small ranges, so the indexed
// finder binary-searches inside a bucket; it must agree with the linear scan
// at every range start and end.
TEST(FindPfnPropertyTest, SkewedRangeLengthsAgreeAtEveryRangeEdge) {
  std::vector<PhysRange> ranges = {{k1G * 7, k1G}};
  for (uint64_t i = 0; i < 1000; ++i) ranges.push_back({(i * 7919 % 1000 + 1) * kPage * 3, kPage});
  absl::StatusOr<LinearPfnFinder> linear = LinearPfnFinder::Create(ranges);
  absl::StatusOr<IndexedPfnFinder> indexed = IndexedPfnFinder::Create(ranges);
  ASSERT_TRUE(linear.ok() && indexed.ok());
  const VmaWindow vma{k1G, k1G + linear->size(), 0};
  int checked = 0;
  for (uint64_t off = 0; off < linear->size() + 2 * kPage; off += off < k1G ? k2M : kPage) {
    const absl::StatusOr<uint64_t> l = linear->Find(vma, k1G + off, 0);
    const absl::StatusOr<uint64_t> x = indexed->Find(vma, k1G + off, 0);
    ASSERT_EQ(l.status().code(), x.status().code()) << "offset 0x" << std::hex << off;
    if (l.ok()) {
      ASSERT_EQ(*l, *x) << "offset 0x" << std::hex << off;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 512 + 1000);
}

}  // namespace
}  // namespace vfiosim::dmabuf
