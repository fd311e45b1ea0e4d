// Object lifetimes: device open/close (enable/disable), the mmap checks of
// vfio_pci_core_mmap(), region info, munmap (split, file reference), exit,
// fork's file references, teardown without leaks, and the dmabuf variant on a
// kernel without a P2PDMA provider (the review's regression and its fixes).
#include <gtest/gtest.h>

#include "tests/model/model_test_harness.h"

namespace vfiosim::testing_model {
namespace {

class LifecycleTest : public VariantTest {};

TEST_P(LifecycleTest, FirstOpenEnablesAndLastCloseDisables) {
  Harness h(Opts());
  const int p = h.Process();
  // A device nobody opened yet: vfio_pci_core_enable() has not run.
  EXPECT_EQ(h.vdev().open_count, 0);
  const Value fd1 = h.Open(p);
  ASSERT_EQ(fd1.kind, Value::Kind::kHandle);
  EXPECT_EQ(h.vdev().open_count, 1);
  EXPECT_TRUE(h.pdev().decode_enabled());
  EXPECT_TRUE(h.vdev().memory_enabled());
  EXPECT_TRUE(h.vdev().bar_mmap_supported[0]);
  EXPECT_FALSE(h.vdev().bar_mmap_supported[1]);
  const Value fd2 = h.Open(p);
  EXPECT_EQ(h.vdev().open_count, 2);
  EXPECT_EQ(h.Close(fd1), Value::Ok());
  EXPECT_EQ(h.vdev().open_count, 1);
  EXPECT_TRUE(h.pdev().decode_enabled());
  EXPECT_EQ(h.Close(fd2), Value::Ok());
  EXPECT_EQ(h.vdev().open_count, 0);
  // vfio_pci_core_disable(): MEM and bus master off, D3hot.
  EXPECT_FALSE(h.pdev().decode_enabled());
  EXPECT_EQ(static_cast<pci::PowerState>(h.pdev().power), pci::PowerState::kD3hot);
  EXPECT_EQ(h.Close(fd2), Value::Err(kEBADF));
  EXPECT_EQ(h.Command(fd2, true), Value::Err(kEBADF));
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, ReopenEnablesAgain) {
  Harness h(Opts());
  const int p = h.Process();
  ASSERT_EQ(h.Close(h.Open(p)), Value::Ok());
  ASSERT_FALSE(h.pdev().decode_enabled());
  const Value fd = h.Open(p);
  EXPECT_TRUE(h.pdev().decode_enabled());
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, MmapChecks) {
  Harness h(Opts({{0, 2 * kMiB}, {2, 4 * kKiB, /*io=*/true}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Mmap(p, fd, 1), Value::Err(kEINVAL));                        // no such BAR
  EXPECT_EQ(h.Mmap(p, fd, 2), Value::Err(kEINVAL));                        // I/O BAR
  EXPECT_EQ(h.Mmap(p, fd, 6), Value::Err(kEINVAL));                        // ROM/config/VGA
  EXPECT_EQ(h.Mmap(p, fd, 0, 2 * kMiB), Value::Err(kEINVAL));              // offset at the end
  EXPECT_EQ(h.Mmap(p, fd, 0, 0, 4 * kMiB), Value::Err(kEINVAL));           // longer than the BAR
  EXPECT_EQ(h.Mmap(p, fd, 0, 1 * kMiB, 2 * kMiB), Value::Err(kEINVAL));    // offset + len beyond
  EXPECT_EQ(h.Mmap(p, fd, 0, 0x800), Value::Err(kEINVAL));                 // offset not page aligned
  EXPECT_EQ(h.Mmap(p, fd, 0, 0, std::nullopt, 64 * kGiB + 0x800), Value::Err(kEINVAL));  // at= misaligned
  EXPECT_TRUE(h.mm(p).vmas.empty());
  EXPECT_EQ(h.vdev().open_count, 1);
  // A rejected mmap leaves no reference behind: the close is the last one.
  EXPECT_EQ(h.Close(fd), Value::Ok());
  EXPECT_EQ(h.vdev().open_count, 0);
  EXPECT_TRUE(h.m().AllDmaBufs().empty());  // the checks run before any dma-buf is made
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, RegionInfoAdvertisesMmapOnlyForMemoryBars) {
  Harness h(Opts({{0, 2 * kMiB}, {2, 4 * kKiB, /*io=*/true}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Info(fd, 0).kind, Value::Kind::kMmap);
  EXPECT_EQ(h.Info(fd, 1).kind, Value::Kind::kNommap);
  EXPECT_EQ(h.Info(fd, 2).kind, Value::Kind::kNommap);
  EXPECT_EQ(h.Info(fd, 7), Value::Err(kEINVAL));
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, NoVfioPciMmapMeansNommapAndEinval) {
  HarnessOptions o = Opts();
  o.tweak = [](vfio::KernelConfig& c) { c.vfio_pci_mmap = false; };
  Harness h(o);
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_FALSE(h.vdev().bar_mmap_supported[0]);
  EXPECT_EQ(h.Info(fd, 0).kind, Value::Kind::kNommap);
  EXPECT_EQ(h.Mmap(p, fd, 0), Value::Err(kEINVAL));
  EXPECT_FALSE(h.violation());  // the flag did not lie
}

TEST_P(LifecycleTest, MapFixedReplacesAnExistingMapping) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Read(p, va), Value::Int(0));
  ASSERT_EQ(h.PresentLeaves(p), 1u);
  const uint64_t va2 = h.MmapBarOk(p, fd, 0, 0, std::nullopt, va);
  EXPECT_EQ(va2, va);
  EXPECT_EQ(h.mm(p).vmas.size(), 1u);
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, BarMmapHoldsTheDeviceFileAcrossClose) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Write(p, va, 3), Value::Ok());
  EXPECT_EQ(h.Close(fd), Value::Ok());
  // close_device cannot run while a BAR mmap exists.
  EXPECT_EQ(h.vdev().open_count, 1);
  EXPECT_TRUE(h.pdev().decode_enabled());
  EXPECT_EQ(h.Read(p, va), Value::Int(3));
  EXPECT_EQ(h.Munmap(p, va), Value::Ok());
  EXPECT_EQ(h.vdev().open_count, 0);
  EXPECT_FALSE(h.pdev().decode_enabled());
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, MunmapDropsTheVmaAndItsFileReference) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Read(p, va), Value::Int(0));
  mm::File* file = h.mm(p).VmaLookup(va)->vm_file;
  vfio::VfioPciDmaBuf* priv = h.VmaPriv(p, va);
  if (GetParam() == Variant::kDmabuf) {
    ASSERT_NE(priv, nullptr);  // the BAR mmap's dma-buf became the VMA's file
    EXPECT_TRUE(priv->from_mmap);
    EXPECT_EQ(file, priv->dmabuf);
    EXPECT_EQ(file->refcount(), 1);
    EXPECT_EQ(h.vdev().dmabufs.size(), 1u);
    EXPECT_EQ(h.vdev().registrations, 2);
  } else {
    EXPECT_EQ(priv, nullptr);
    EXPECT_EQ(file->kind(), mm::File::Kind::kVfioDevice);
    EXPECT_EQ(file->refcount(), 2);  // fd + vma
  }
  EXPECT_EQ(h.Munmap(p, va), Value::Ok());
  EXPECT_TRUE(h.mm(p).vmas.empty());
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_EQ(h.Read(p, va), Value::Sig(kSIGSEGV));
  if (GetParam() == Variant::kDmabuf) {
    EXPECT_TRUE(priv->freed);  // vfio_pci_dma_buf_release()
    EXPECT_TRUE(file->released());
    EXPECT_FALSE(priv->on_list);
    EXPECT_TRUE(h.vdev().dmabufs.empty());
    EXPECT_EQ(h.vdev().registrations, 1);
    EXPECT_EQ(priv->device_file, nullptr);
  } else {
    EXPECT_EQ(file->refcount(), 1);
  }
  EXPECT_EQ(h.vdev().open_count, 1);  // the fd still holds the device
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, PartialMunmapSplitsTheVma) {
  HarnessOptions o = Opts();
  o.tweak = [](vfio::KernelConfig& c) { c.pmd_pfnmap = false; };
  Harness h(o);
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0, 0, 16 * kKiB);
  ASSERT_EQ(h.Touch(p, va, 16 * kKiB), Value::Ok());
  ASSERT_EQ(h.PresentLeaves(p), 4u);
  EXPECT_EQ(h.Munmap(p, va + 4 * kKiB, 8 * kKiB), Value::Ok());
  ASSERT_EQ(h.mm(p).vmas.size(), 2u);
  const mm::Vma* head = h.mm(p).VmaLookup(va);
  const mm::Vma* tail = h.mm(p).VmaLookup(va + 12 * kKiB);
  ASSERT_TRUE(head && tail);
  EXPECT_EQ(head->vm_end, va + 4 * kKiB);
  EXPECT_EQ(tail->vm_start, va + 12 * kKiB);
  EXPECT_EQ(tail->vm_pgoff, head->vm_pgoff + 3);
  EXPECT_EQ(tail->vm_file, head->vm_file);
  EXPECT_EQ(h.PresentLeaves(p), 2u);
  EXPECT_EQ(h.Read(p, va + 4 * kKiB), Value::Sig(kSIGSEGV));
  EXPECT_EQ(h.Leaf(p, va + 12 * kKiB)->pfn, h.BarPfn(0) + 3);
  // Both pieces are in the file's i_mmap: a revoke zaps both.
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  ASSERT_EQ(h.Command(fd, true), Value::Ok());
  EXPECT_EQ(h.Read(p, va + 12 * kKiB), Value::Int(0));
  EXPECT_EQ(h.Leaf(p, va + 12 * kKiB)->pfn, h.BarPfn(0) + 3);
  // Unmapping both pieces drops both file references.
  EXPECT_EQ(h.Munmap(p, va, 16 * kKiB), Value::Ok());
  EXPECT_TRUE(h.mm(p).vmas.empty());
  EXPECT_EQ(h.Close(fd), Value::Ok());
  EXPECT_EQ(h.vdev().open_count, 0);
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, MunmapInsideAPmdLeafZapsTheWholeLeaf) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Read(p, va + 1 * kMiB), Value::Int(0));
  ASSERT_EQ(h.Leaf(p, va)->shift, kPmdShift);
  EXPECT_EQ(h.Munmap(p, va, 4 * kKiB), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  // The rest no longer fits a PMD: it refaults with 4K leaves.
  EXPECT_EQ(h.Read(p, va + 1 * kMiB), Value::Int(0));
  EXPECT_EQ(h.Leaf(p, va + 1 * kMiB)->shift, kPteShift);
  EXPECT_EQ(h.Leaf(p, va + 1 * kMiB)->pfn, h.BarPfn(0) + 256);
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, FullTeardownLeavesNothingAlive) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Write(p, va, 1), Value::Ok());
  ASSERT_EQ(h.Read(p, va), Value::Int(1));
  ASSERT_EQ(h.Munmap(p, va), Value::Ok());
  ASSERT_EQ(h.Close(fd), Value::Ok());
  ASSERT_EQ(h.Exit(p), Value::Ok());
  EXPECT_TRUE(h.m().AllClosedAndExited());
  EXPECT_TRUE(h.m().LiveObjects().empty()) << h.m().LiveObjects().front();
  h.AtEnd();
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, ExitUnmapsEverythingAndClosesFds) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Read(p, va), Value::Int(0));
  const Value buf = h.Export(fd, 0);
  ASSERT_EQ(buf.kind, Value::Kind::kHandle);
  EXPECT_FALSE(h.m().LiveObjects().empty());
  EXPECT_EQ(h.Exit(p), Value::Ok());
  EXPECT_TRUE(h.m().processes()[p].exited);
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_TRUE(h.mm(p).vmas.empty());
  EXPECT_EQ(h.vdev().open_count, 0);
  for (vfio::VfioPciDmaBuf* priv : h.m().AllDmaBufs()) EXPECT_TRUE(priv->freed);
  EXPECT_TRUE(h.m().LiveObjects().empty());
  EXPECT_EQ(h.Read(p, va), Value::Sig(kSIGSEGV));
  EXPECT_EQ(h.Exit(p), Value::Ok());  // idempotent
  h.AtEnd();
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, ForkedChildHoldsFileReferencesUntilItExits) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Read(p, va), Value::Int(0));
  const int c = h.Fork(p);
  ASSERT_EQ(h.Exit(p), Value::Ok());
  EXPECT_EQ(h.vdev().open_count, 1);  // the child's fd and vma
  EXPECT_EQ(h.Read(c, va), Value::Int(0));
  EXPECT_FALSE(h.m().LiveObjects().empty());
  ASSERT_EQ(h.Exit(c), Value::Ok());
  EXPECT_EQ(h.vdev().open_count, 0);
  EXPECT_TRUE(h.m().LiveObjects().empty());
  h.AtEnd();
  EXPECT_FALSE(h.violation());
}

TEST_P(LifecycleTest, TeardownWithImporterLeavesNothingAlive) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  ASSERT_EQ(h.Map(att), Value::Ok());
  ASSERT_EQ(h.Close(buf), Value::Ok());
  ASSERT_EQ(h.Close(fd), Value::Ok());
  ASSERT_EQ(h.Exit(p), Value::Ok());
  // The attachment still holds the dma-buf: that is a leak until detach.
  h.AtEnd();
  EXPECT_EQ(h.ViolationName(), "leak");
  Harness h2(Opts());
  const int p2 = h2.Process();
  const Value fd2 = h2.Open(p2);
  const Value buf2 = h2.Export(fd2, 0);
  const Value att2 = h2.Attach(buf2);
  ASSERT_EQ(h2.Map(att2), Value::Ok());
  ASSERT_EQ(h2.Detach(att2), Value::Ok());
  ASSERT_EQ(h2.Close(buf2), Value::Ok());
  ASSERT_EQ(h2.Close(fd2), Value::Ok());
  ASSERT_EQ(h2.Exit(p2), Value::Ok());
  EXPECT_TRUE(h2.m().LiveObjects().empty());
  h2.AtEnd();
  EXPECT_FALSE(h2.violation());
}

INSTANTIATE_TEST_SUITE_P(Variants, LifecycleTest, ::testing::Values(Variant::kLegacy, Variant::kDmabuf),
                         VariantParamName);

// ---- the dmabuf variant without a P2PDMA provider ----

HarnessOptions NoProvider(Variant v, vfio::FixOptions fixes = {}) {
  HarnessOptions o;
  o.variant = v;
  o.fixes = fixes;
  o.tweak = [](vfio::KernelConfig& c) { c.p2pdma_provider = false; };
  return o;
}

TEST(NoP2pdmaTest, DmabufVariantMmapFailsWhileInfoSaysMmap) {
  Harness h(NoProvider(Variant::kDmabuf));
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Info(fd, 0).kind, Value::Kind::kMmap);
  EXPECT_EQ(h.Mmap(p, fd, 0), Value::Err(kEINVAL));
  EXPECT_TRUE(h.mm(p).vmas.empty());
  EXPECT_EQ(h.ViolationName(), "mmap-flag-lies");
}

TEST(NoP2pdmaTest, MmapFailureWithoutAskingInfoIsNotAFlagLie) {
  Harness h(NoProvider(Variant::kDmabuf));
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Mmap(p, fd, 0), Value::Err(kEINVAL));
  EXPECT_FALSE(h.violation());
}

TEST(NoP2pdmaTest, LegacyVariantDoesNotNeedAProvider) {
  Harness h(NoProvider(Variant::kLegacy));
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Info(fd, 0).kind, Value::Kind::kMmap);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  EXPECT_EQ(h.Export(fd, 0), Value::Err(kEINVAL));  // pcim_p2pdma_provider() is NULL
  EXPECT_FALSE(h.violation());
}

TEST(NoP2pdmaTest, LegacyFallbackFixMapsTheOldWayAndZapsThroughTheInode) {
  Harness h(NoProvider(Variant::kDmabuf, {.legacy_fallback = true}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Info(fd, 0).kind, Value::Kind::kMmap);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  EXPECT_EQ(h.VmaPriv(p, va), nullptr);  // no dma-buf behind it
  EXPECT_TRUE(h.m().AllDmaBufs().empty());
  ASSERT_EQ(h.Write(p, va, 11), Value::Ok());
  EXPECT_EQ(h.Leaf(p, va)->shift, kPmdShift);
  EXPECT_EQ(h.Leaf(p, va)->pfn, h.BarPfn(0));
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_EQ(h.Read(p, va), Value::Sig(kSIGBUS));
  ASSERT_EQ(h.Command(fd, true), Value::Ok());
  EXPECT_EQ(h.Read(p, va), Value::Int(11));
  EXPECT_FALSE(h.violation());
}

TEST(NoP2pdmaTest, HideMmapFlagFixMakesInfoTellTheTruth) {
  Harness h(NoProvider(Variant::kDmabuf, {.hide_mmap_flag = true}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Info(fd, 0).kind, Value::Kind::kNommap);
  EXPECT_EQ(h.Mmap(p, fd, 0), Value::Err(kEINVAL));
  EXPECT_FALSE(h.violation());
}

TEST(NoP2pdmaTest, I386DmabufVariantCannotMmap) {
  // i386: PCI_P2PDMA depends on 64BIT; the Kconfig evaluation says no provider.
  Harness h({.arch = Arch::kI386, .variant = Variant::kDmabuf});
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Info(fd, 0).kind, Value::Kind::kMmap);
  EXPECT_EQ(h.Mmap(p, fd, 0), Value::Err(kEINVAL));
  EXPECT_EQ(h.ViolationName(), "mmap-flag-lies");
}

TEST(NoP2pdmaTest, P2pdmaCoreFixLetsI386DmabufVariantMmap) {
  // The later revision's PCI_P2PDMA_CORE: a provider without ZONE_DEVICE/64BIT.
  Harness h({.arch = Arch::kI386, .variant = Variant::kDmabuf, .p2pdma_core_fix = true});
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Info(fd, 0).kind, Value::Kind::kMmap);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_NE(h.VmaPriv(p, va), nullptr);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  EXPECT_EQ(h.Leaf(p, va)->shift, kPteShift);  // still no huge leaves on i386
  EXPECT_FALSE(h.violation());
}

}  // namespace
}  // namespace vfiosim::testing_model
