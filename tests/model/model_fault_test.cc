// The BAR fault path: vfio_pci_core_mmap() populates nothing; the core offers
// PUD, then PMD, then PTE, and vfio_pci_mmap_huge_fault() falls back where the
// window or the PFN is not order-aligned (both variants); arch and Kconfig
// decide which huge orders exist.
#include <gtest/gtest.h>

#include "model/mm/memory.h"
#include "tests/model/model_test_harness.h"

namespace vfiosim::testing_model {
namespace {

class FaultTest : public VariantTest {};

TEST_P(FaultTest, MmapPopulatesNothing) {
  Harness h(Opts({{0, 2 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_FALSE(h.Leaf(p, va).has_value());
  ASSERT_NE(h.mm(p).VmaLookup(va), nullptr);
  EXPECT_TRUE(h.mm(p).VmaLookup(va)->pfnmap);
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, AlignedFaultOn2MBarInstallsOnePmdLeafWithTheBarPfn) {
  Harness h(Opts({{0, 2 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(va % (2 * kMiB), 0u);
  EXPECT_EQ(h.Read(p, va + 0x1000), Value::Int(0));
  ASSERT_EQ(h.PresentLeaves(p), 1u);
  const std::optional<mm::Leaf> leaf = h.Leaf(p, va);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->shift, kPmdShift);
  EXPECT_EQ(leaf->va, va);
  EXPECT_EQ(leaf->pfn, h.BarPfn(0));
  EXPECT_TRUE(leaf->writable);
  // The whole 2M is mapped by that one leaf.
  EXPECT_EQ(h.m().PageSize(p, va + 2 * kMiB - 4), 2 * kMiB);
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, WriteThenReadGoesToBarMemory) {
  Harness h(Opts({{0, 2 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  EXPECT_EQ(h.Write(p, va + 0x2340, 0xdeadbeef), Value::Ok());
  EXPECT_EQ(h.Read(p, va + 0x2340), Value::Int(0xdeadbeef));
  EXPECT_EQ(h.pdev().ReadBar(0, 0x2340), 0xdeadbeefu);
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, MisalignedVaFallsBackTo4K) {
  Harness h(Opts({{0, 2 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t at = 64 * kGiB + 4 * kKiB;  // not 2M aligned
  const uint64_t va = h.MmapBarOk(p, fd, 0, 0, std::nullopt, at);
  ASSERT_EQ(va, at);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  EXPECT_EQ(h.Read(p, va + 2 * kMiB - 4 * kKiB), Value::Int(0));  // the last page
  const std::vector<mm::Leaf> leaves = h.Leaves(p);
  ASSERT_EQ(leaves.size(), 2u);
  for (const mm::Leaf& l : leaves) EXPECT_EQ(l.shift, kPteShift);
  EXPECT_EQ(leaves[0].pfn, h.BarPfn(0));
  EXPECT_EQ(leaves[1].pfn, h.BarPfn(0) + 511);
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, MisalignedPfnFallsBackTo4K) {
  // offset=4K of a 4M BAR mapped at a 2M-aligned VA: the PMD window fits the
  // VMA but its PFN is BAR start + 1 page (09dfc8a5f2ce).
  Harness h(Opts({{0, 4 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t at = 64 * kGiB;
  const uint64_t va = h.MmapBarOk(p, fd, 0, 4 * kKiB, std::nullopt, at);
  ASSERT_EQ(va, at);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  const std::optional<mm::Leaf> leaf = h.Leaf(p, va);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->shift, kPteShift);
  EXPECT_EQ(leaf->pfn, h.BarPfn(0) + 1);
  EXPECT_EQ(h.PresentLeaves(p), 1u);
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, DefaultPlacementAlignsVaWithOffsetSoOffsetMappingsGetPmds) {
  // Without at=, mmap picks addr % 2M == offset % 2M (as QEMU does), so the
  // 2M-aligned part of an offset=4K mapping is PMD-mappable.
  Harness h(Opts({{0, 4 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0, 4 * kKiB);
  EXPECT_EQ(va % (2 * kMiB), 4 * kKiB);
  const uint64_t second = va - 4 * kKiB + 2 * kMiB;  // BAR offset 2M
  EXPECT_EQ(h.Read(p, second), Value::Int(0));
  const std::optional<mm::Leaf> leaf = h.Leaf(p, second);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->shift, kPmdShift);
  EXPECT_EQ(leaf->pfn, h.BarPfn(0) + 512);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));  // the first, partial 2M: 4K
  EXPECT_EQ(h.Leaf(p, va)->shift, kPteShift);
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, PmdWindowBeyondVmaEndFallsBack) {
  // A 2M-aligned VA but only 1M long: the PMD window does not fit the VMA.
  Harness h(Opts({{0, 2 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0, 0, 1 * kMiB, 64 * kGiB);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  ASSERT_TRUE(h.Leaf(p, va));
  EXPECT_EQ(h.Leaf(p, va)->shift, kPteShift);
  EXPECT_FALSE(h.violation());
}

// mm::vmf_insert_pfn() called as a fault handler calls it; the VmFaultResult as an int.
sim::Task<Value> InsertPfn(mm::Vma* vma, uint64_t address, uint64_t pfn, int order) {
  const mm::VmFaultResult r = co_await mm::vmf_insert_pfn(mm::VmFault{vma, address, false}, pfn, order);
  co_return Value::Int(static_cast<uint64_t>(r));
}

// insert_pfn() (mm/memory.c): under a present PMD leaf get_locked_pte() finds no
// PTE table and the 4K insert fails with VM_FAULT_OOM (bugzilla 220057); a read
// of that address still gets the BAR through the PMD.
TEST_P(FaultTest, FourKInsertUnderAPmdLeafIsVmFaultOom) {
  Harness h(Opts({{0, 2 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Write(p, va + 0x1000, 0x77), Value::Ok());
  ASSERT_TRUE(h.Leaf(p, va));
  ASSERT_EQ(h.Leaf(p, va)->shift, kPmdShift);
  mm::Vma* vma = h.mm(p).VmaLookup(va);
  EXPECT_EQ(h.Run(InsertPfn(vma, va + 0x1000, h.BarPfn(0) + 1, 0)),
            Value::Int(static_cast<uint64_t>(mm::VmFaultResult::kOom)));
  EXPECT_EQ(h.PresentLeaves(p), 1u);
  EXPECT_EQ(h.Read(p, va + 0x1000), Value::Int(0x77));
  EXPECT_FALSE(h.violation());
}

// vmf_insert_pfn_pmd() (mm/huge_memory.c): `addr < vma->vm_start || addr >=
// vma->vm_end` -> VM_FAULT_SIGBUS, for the address aligned down to the order.
TEST_P(FaultTest, InsertOutsideTheVmaIsSigbus) {
  Harness h(Opts({{0, 4 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0, 4 * kKiB);  // the first 2M window starts 4K before the VMA
  mm::Vma* vma = h.mm(p).VmaLookup(va);
  ASSERT_NE(vma, nullptr);
  const auto sigbus = Value::Int(static_cast<uint64_t>(mm::VmFaultResult::kSigbus));
  EXPECT_EQ(h.Run(InsertPfn(vma, va, h.BarPfn(0), kPmdShift - kPteShift)), sigbus);
  EXPECT_EQ(h.Run(InsertPfn(vma, vma->vm_end, h.BarPfn(0), 0)), sigbus);
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, OneGigBarOnX86_64IsOnePudLeaf) {
  Harness h(Opts({{0, 1 * kGiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(va % kGiB, 0u);
  EXPECT_EQ(h.Read(p, va + 123 * kMiB), Value::Int(0));
  ASSERT_EQ(h.PresentLeaves(p), 1u);
  const std::optional<mm::Leaf> leaf = h.Leaf(p, va);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->shift, kPudShift);
  EXPECT_EQ(leaf->pfn, h.BarPfn(0));
  EXPECT_EQ(h.m().PageSize(p, va + kGiB - 4), kGiB);
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, OneGigBarOnArm64IsPmdLeaves) {
  // arm64 (4K granule) has no ARCH_SUPPORTS_PUD_PFNMAP: touching the whole 1G
  // maps it with 512 PMD leaves. (One load per 2M: `touch` of the whole 1G
  // would be 262144 loads, which overflow the stack of a sanitizer build,
  // where the coroutines' symmetric transfer is not a tail call.)
  Harness h(Opts({{0, 1 * kGiB}}, Arch::kArm64));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  EXPECT_EQ(h.Touch(p, va, 4 * kMiB), Value::Ok());  // 1024 loads, 2 faults
  EXPECT_EQ(h.PresentLeaves(p), 2u);
  for (uint64_t off = 0; off < kGiB; off += 2 * kMiB) ASSERT_EQ(h.Read(p, va + off + 0x40), Value::Int(0));
  const std::vector<mm::Leaf> leaves = h.Leaves(p);
  ASSERT_EQ(leaves.size(), 512u);
  for (size_t i = 0; i < leaves.size(); ++i) {
    EXPECT_EQ(leaves[i].shift, kPmdShift);
    EXPECT_EQ(leaves[i].va, va + i * 2 * kMiB);
    EXPECT_EQ(leaves[i].pfn, h.BarPfn(0) + i * 512);
  }
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, PmdPfnmapDisabledMeans4KOnly) {
  HarnessOptions o = Opts({{0, 2 * kMiB}});
  o.tweak = [](vfio::KernelConfig& c) { c.pmd_pfnmap = false; };
  Harness h(o);
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(va % (2 * kMiB), 0u);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  ASSERT_EQ(h.PresentLeaves(p), 1u);
  EXPECT_EQ(h.Leaf(p, va)->shift, kPteShift);
  EXPECT_EQ(h.Leaf(p, va)->pfn, h.BarPfn(0));
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, NoTransparentHugepageMeans4KOnly) {
  // TRANSPARENT_HUGEPAGE=n: ARCH_SUPPORTS_HUGE_PFNMAP and so PMD/PUD_PFNMAP are n.
  HarnessOptions o = Opts({{0, 1 * kGiB}});
  o.kconfig = {{"TRANSPARENT_HUGEPAGE", false}};
  Harness h(o);
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  ASSERT_EQ(h.PresentLeaves(p), 1u);
  EXPECT_EQ(h.Leaf(p, va)->shift, kPteShift);
  EXPECT_FALSE(h.violation());
}

TEST_P(FaultTest, FaultBeyondMappingIsSigsegv) {
  Harness h(Opts({{0, 2 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  EXPECT_EQ(h.Read(p, va + 2 * kMiB), Value::Sig(kSIGSEGV));
  EXPECT_EQ(h.PresentLeaves(p), 0u);
}

TEST_P(FaultTest, StoreToReadOnlyMappingIsSigsegv) {
  Harness h(Opts({{0, 2 * kMiB}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value va = h.Mmap(p, fd, 0, 0, std::nullopt, std::nullopt, /*writable=*/false);
  ASSERT_EQ(va.kind, Value::Kind::kInt);
  EXPECT_EQ(h.Read(p, va.v), Value::Int(0));
  ASSERT_TRUE(h.Leaf(p, va.v));
  EXPECT_FALSE(h.Leaf(p, va.v)->writable);
  EXPECT_EQ(h.Write(p, va.v, 1), Value::Sig(kSIGSEGV));
  EXPECT_EQ(h.pdev().ReadBar(0, 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Variants, FaultTest, ::testing::Values(Variant::kLegacy, Variant::kDmabuf),
                         VariantParamName);

// i386 has neither PCI_P2PDMA (so only the legacy variant can mmap) nor a PMD
// level: every leaf is 4K.
TEST(FaultI386Test, I386MapsOnly4K) {
  Harness h({.arch = Arch::kI386, .variant = Variant::kLegacy, .bars = {{0, 2 * kMiB}}});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  EXPECT_LT(va + 2 * kMiB, uint64_t{1} << 32);
  EXPECT_EQ(h.Touch(p, va, 2 * kMiB), Value::Ok());
  const std::vector<mm::Leaf> leaves = h.Leaves(p);
  ASSERT_EQ(leaves.size(), 512u);
  for (size_t i = 0; i < leaves.size(); ++i) {
    EXPECT_EQ(leaves[i].shift, kPteShift);
    EXPECT_EQ(leaves[i].pfn, h.BarPfn(0) + i);
  }
  EXPECT_FALSE(h.violation());
}

// The 1G mapping's pfn must be 1G-aligned for a PUD: a 1G mapping at offset 2M
// of a 2G BAR, at a 1G-aligned VA, falls back to PMDs.
TEST(FaultX86Test, PudFallsBackToPmdForA2MAlignedPfn) {
  Harness h({.variant = Variant::kLegacy, .bars = {{0, 2 * kGiB}}});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0, 2 * kMiB, 1 * kGiB, 64 * kGiB);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  ASSERT_TRUE(h.Leaf(p, va));
  EXPECT_EQ(h.Leaf(p, va)->shift, kPmdShift);
  EXPECT_EQ(h.Leaf(p, va)->pfn, h.BarPfn(0) + 512);
  EXPECT_FALSE(h.violation());
}

}  // namespace
}  // namespace vfiosim::testing_model
