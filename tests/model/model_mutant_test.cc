// Every catalogued mutant (model/bugs.h) caught by the checker: on a straight
// line where that is possible, else on the one interleaving that shows the race,
// written down by hand (Interleaving). Each has a control: the same sequence
// without the bug is clean.
#include <gtest/gtest.h>

#include "tests/model/model_test_harness.h"

namespace vfiosim::testing_model {
namespace {

class MutantTest : public VariantTest {
 protected:
  HarnessOptions Opts(std::vector<Bug> bugs, std::vector<BarDef> bars = {{0, 2 * kMiB}}) const {
    HarnessOptions o = VariantTest::Opts(std::move(bars));
    o.bugs = std::move(bugs);
    return o;
  }
};

// ---- straight lines ----

TEST_P(MutantTest, NoZapOnRevokeLeavesAStalePteAfterMemClear) {
  for (const bool bug : {false, true}) {
    Harness h(Opts(bug ? std::vector<Bug>{Bug::kNoZapOnRevoke} : std::vector<Bug>{}));
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0);
    ASSERT_EQ(h.Read(p, va), Value::Int(0));
    ASSERT_EQ(h.Command(fd, false), Value::Ok());
    EXPECT_EQ(h.PresentLeaves(p), bug ? 1u : 0u);
    EXPECT_EQ(h.ViolationName(), bug ? "stale-pte" : "");
  }
}

TEST_P(MutantTest, HugeFaultUnalignedPfnMapsTheWrongPages) {
  // mmap offset=4K of a 4M BAR at a 2M-aligned VA (bugzilla 219619).
  for (const bool bug : {false, true}) {
    Harness h(Opts(bug ? std::vector<Bug>{Bug::kHugeFaultUnalignedPfn} : std::vector<Bug>{}, {{0, 4 * kMiB}}));
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0, 4 * kKiB, std::nullopt, 64 * kGiB);
    ASSERT_EQ(h.Read(p, va), Value::Int(0));
    ASSERT_TRUE(h.Leaf(p, va));
    EXPECT_EQ(h.Leaf(p, va)->shift, bug ? kPmdShift : kPteShift);
    // The mutant's PMD maps BAR page 0 at the VA of BAR page 1.
    EXPECT_EQ(h.Leaf(p, va)->pfn, bug ? h.BarPfn(0) : h.BarPfn(0) + 1);
    EXPECT_EQ(h.ViolationName(), bug ? "pfn-out-of-range" : "");
  }
}

TEST_P(MutantTest, HugeFaultNoRangeCheckSpillsPastTheVma) {
  // A 1M mapping at a 2M- (not 1G-) aligned VA: the PMD window does not fit
  // the VMA (the PUD is refused for its misaligned pfn).
  for (const bool bug : {false, true}) {
    Harness h(Opts(bug ? std::vector<Bug>{Bug::kHugeFaultNoRangeCheck} : std::vector<Bug>{}));
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0, 0, 1 * kMiB, 64 * kGiB + 2 * kMiB);
    ASSERT_EQ(h.Read(p, va), Value::Int(0));
    EXPECT_EQ(h.Leaf(p, va)->shift, bug ? kPmdShift : kPteShift);
    EXPECT_EQ(h.ViolationName(), bug ? "pfn-out-of-range" : "");
  }
}

TEST_P(MutantTest, ImporterIgnoringMoveNotifyDmasAfterMove) {
  for (const bool bug : {false, true}) {
    Harness h(Opts(bug ? std::vector<Bug>{Bug::kImporterIgnoresMove} : std::vector<Bug>{}));
    const int p = h.Process();
    const Value fd = h.Open(p);
    const Value buf = h.Export(fd, 0);
    const Value att = h.Attach(buf);
    ASSERT_EQ(h.Map(att), Value::Ok());
    ASSERT_EQ(h.Command(fd, false), Value::Ok());
    EXPECT_EQ(h.m().attachments()[att.v].mapped, bug);
    const Value r = h.Dma(att, 0);
    EXPECT_EQ(r, bug ? Value::Int(0xffffffff) : Value::Err(kEIO));
    EXPECT_EQ(h.ViolationName(), bug ? "importer-after-move" : "");
  }
}

TEST_P(MutantTest, LeakOnMunmapIsALeakAtTheEnd) {
  for (const bool bug : {false, true}) {
    Harness h(Opts(bug ? std::vector<Bug>{Bug::kLeakOnMunmap} : std::vector<Bug>{}));
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0);
    ASSERT_EQ(h.Read(p, va), Value::Int(0));
    ASSERT_EQ(h.Munmap(p, va), Value::Ok());
    EXPECT_TRUE(h.mm(p).vmas.empty());  // the VMA goes either way
    ASSERT_EQ(h.Close(fd), Value::Ok());
    ASSERT_EQ(h.Exit(p), Value::Ok());
    EXPECT_EQ(h.m().LiveObjects().empty(), !bug);
    h.AtEnd();
    EXPECT_EQ(h.ViolationName(), bug ? "leak" : "");
  }
}

TEST_P(MutantTest, LeakOnMunmapAlsoLeaksThroughExit) {
  Harness h(Opts({Bug::kLeakOnMunmap}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  ASSERT_EQ(h.Read(p, h.MmapBarOk(p, fd, 0)), Value::Int(0));
  ASSERT_EQ(h.Exit(p), Value::Ok());  // exit_mmap() -> remove_vma()
  h.AtEnd();
  EXPECT_EQ(h.ViolationName(), "leak");
}

INSTANTIATE_TEST_SUITE_P(Variants, MutantTest, ::testing::Values(Variant::kLegacy, Variant::kDmabuf),
                         VariantParamName);

TEST(MutantLegacyTest, LegacyNoMemoryCheckReachesDisabledMmio) {
  for (const bool bug : {false, true}) {
    Harness h({.variant = Variant::kLegacy,
               .bugs = bug ? std::vector<Bug>{Bug::kLegacyNoMemoryCheck} : std::vector<Bug>{}});
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0);
    ASSERT_EQ(h.Command(fd, false), Value::Ok());
    EXPECT_EQ(h.Read(p, va), bug ? Value::Int(0xffffffff) : Value::Sig(kSIGBUS));
    EXPECT_EQ(h.ViolationName(), bug ? "mmio-while-disabled" : "");
  }
}

TEST(MutantLegacyTest, LegacyNoMemoryCheckDoesNotApplyToTheDmabufVariant) {
  Harness h({.variant = Variant::kDmabuf, .bugs = {Bug::kLegacyNoMemoryCheck}});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.Read(p, va), Value::Sig(kSIGBUS));
  EXPECT_FALSE(h.violation());
}

TEST(MutantLegacyTest, ForkEscapesZapLeavesTheChildsLeaf) {
  for (const bool bug : {false, true}) {
    Harness h({.variant = Variant::kLegacy,
               .bugs = bug ? std::vector<Bug>{Bug::kForkEscapesZap} : std::vector<Bug>{}});
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0);
    ASSERT_EQ(h.Read(p, va), Value::Int(0));
    const int c = h.Fork(p);
    ASSERT_EQ(h.PresentLeaves(c), 1u);
    ASSERT_EQ(h.Command(fd, false), Value::Ok());
    EXPECT_EQ(h.PresentLeaves(p), 0u);  // the parent's VMA was on the list
    EXPECT_EQ(h.PresentLeaves(c), bug ? 1u : 0u);
    EXPECT_EQ(h.ViolationName(), bug ? "stale-pte" : "");
  }
}

TEST(MutantDmabufTest, ForkEscapesZapDoesNotApplyToTheDmabufVariant) {
  Harness h({.variant = Variant::kDmabuf, .bugs = {Bug::kForkEscapesZap}});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Read(p, va), Value::Int(0));
  const int c = h.Fork(p);
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(c), 0u);
  EXPECT_FALSE(h.violation());
}

TEST(MutantDmabufTest, NoZapOnRevokeIoctlLeavesAStalePte) {
  Harness h({.variant = Variant::kDmabuf, .bugs = {Bug::kNoZapOnRevoke}});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value va = h.MmapBuf(p, buf);
  ASSERT_EQ(h.Read(p, va.v), Value::Int(0));
  ASSERT_EQ(h.Revoke(fd, buf), Value::Ok());
  EXPECT_TRUE(h.Leaf(p, va.v).has_value());
  EXPECT_EQ(h.ViolationName(), "stale-pte");
}

// The mutant is remove_vma()'s missing fput, so every path that removes a vma
// leaks, MAP_FIXED replacement too: the replaced mapping's dma-buf outlives it.
TEST(MutantDmabufTest, LeakOnMunmapAlsoLeaksThroughMapFixedReplacement) {
  for (const bool bug : {false, true}) {
    Harness h({.variant = Variant::kDmabuf,
               .bugs = bug ? std::vector<Bug>{Bug::kLeakOnMunmap} : std::vector<Bug>{}});
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0);
    ASSERT_EQ(h.Read(p, va), Value::Int(0));
    ASSERT_EQ(h.MmapBarOk(p, fd, 0, 0, std::nullopt, va), va);  // replaces the first vma
    ASSERT_EQ(h.Close(fd), Value::Ok());
    // Alive: the second mapping's dma-buf (and the device it holds); with the
    // bug, the first mapping's too.
    const std::vector<std::string> live = h.m().LiveObjects();
    const bool first_alive =
        std::any_of(live.begin(), live.end(), [](const std::string& o) { return o.find("dmabuf1") == 0; });
    EXPECT_EQ(first_alive, bug) << ::testing::PrintToString(live);
  }
}

TEST(MutantDmabufTest, FaultIgnoringRevokedMapsARevokedBuf) {
  for (const bool bug : {false, true}) {
    Harness h({.variant = Variant::kDmabuf,
               .bugs = bug ? std::vector<Bug>{Bug::kFaultIgnoresRevoked} : std::vector<Bug>{}});
    const int p = h.Process();
    const Value fd = h.Open(p);
    const Value buf = h.Export(fd, 0);
    const Value va = h.MmapBuf(p, buf);
    ASSERT_EQ(h.Revoke(fd, buf), Value::Ok());  // memory stays enabled
    EXPECT_EQ(h.Read(p, va.v), bug ? Value::Int(0) : Value::Sig(kSIGBUS));
    EXPECT_EQ(h.ViolationName(), bug ? "stale-pte" : "");
  }
}

TEST(MutantDmabufTest, LockInversionIsALockOrderViolation) {
  // The fault holds dma_resv while taking memory_lock; MEM clear takes
  // memory_lock then dma_resv: lockdep's order graph closes a cycle.
  for (const bool bug : {false, true}) {
    Harness h({.variant = Variant::kDmabuf,
               .bugs = bug ? std::vector<Bug>{Bug::kLockInversion} : std::vector<Bug>{}});
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0);
    ASSERT_EQ(h.Read(p, va), Value::Int(0));
    EXPECT_EQ(h.checker().lock_graph().Has(static_cast<int>(LockClass::kDmaResv),
                                           static_cast<int>(LockClass::kMemoryLock)),
              bug);
    ASSERT_EQ(h.Command(fd, false), Value::Ok());
    EXPECT_EQ(h.ViolationName(), bug ? "lock-order" : "");
  }
}

TEST(MutantDmabufTest, NoZapOnCleanupLeavesAStalePteOnDeviceClose) {
  for (const bool bug : {false, true}) {
    Harness h({.variant = Variant::kDmabuf,
               .bugs = bug ? std::vector<Bug>{Bug::kNoZapOnCleanup} : std::vector<Bug>{}});
    const int p = h.Process();
    const Value fd = h.Open(p);
    const Value buf = h.Export(fd, 0);
    const Value va = h.MmapBuf(p, buf);
    ASSERT_EQ(h.Read(p, va.v), Value::Int(0));
    ASSERT_EQ(h.Close(fd), Value::Ok());
    EXPECT_EQ(h.PresentLeaves(p), bug ? 1u : 0u);
    EXPECT_EQ(h.ViolationName(), bug ? "stale-pte" : "");
  }
}

TEST(MutantDmabufTest, CloseBeforeCleanupShowsAStalePteBetweenTheSteps) {
  // d97708701434: close_device disabled the function before revoking the
  // dma-bufs. Step by step, the mmapped export's leaf outlives MEM/D0 for a
  // step; an op-at-a-time check cannot see it (cleanup zaps before the op ends).
  for (const bool stepwise : {false, true}) {
    for (const bool bug : {false, true}) {
      Harness h({.variant = Variant::kDmabuf,
                 .bugs = bug ? std::vector<Bug>{Bug::kCloseBeforeCleanup} : std::vector<Bug>{},
                 .stepwise = stepwise});
      const int p = h.Process();
      const Value fd = h.Open(p);
      const Value buf = h.Export(fd, 0);
      const Value va = h.MmapBuf(p, buf);
      ASSERT_EQ(h.Read(p, va.v), Value::Int(0));
      ASSERT_EQ(h.Close(fd), Value::Ok());
      EXPECT_EQ(h.PresentLeaves(p), 0u);
      EXPECT_EQ(h.ViolationName(), bug && stepwise ? "stale-pte" : "") << "stepwise=" << stepwise;
    }
  }
}

// ---- races, replayed by hand ----

class RaceTest : public VariantTest {};

TEST_P(RaceTest, CloseBeforeCleanupLetsAnImporterDmaIntoADisabledDevice) {
  for (const bool bug : {false, true}) {
    Harness h({.variant = GetParam(),
               .bugs = bug ? std::vector<Bug>{Bug::kCloseBeforeCleanup} : std::vector<Bug>{}});
    const int p = h.Process();
    const Value fd = h.Open(p);
    const Value buf = h.Export(fd, 0);
    const Value att = h.Attach(buf);
    ASSERT_EQ(h.Map(att), Value::Ok());
    Interleaving il(h.checker());
    const int closer = il.Spawn(h.m().OpClose(fd), "close");
    const int importer = il.Spawn(h.m().OpDma(att, 0), "dma");
    // Close runs up to the cleanup's down_write(&memory_lock).
    ASSERT_TRUE(il.RunUntil(closer, Interleaving::AboutToLockIn(LockClass::kMemoryLock, "vfio_pci_dma_buf_cleanup")));
    EXPECT_EQ(h.pdev().decode_enabled(), !bug);
    ASSERT_TRUE(il.Finish(importer));
    EXPECT_EQ(il.result(importer), bug ? Value::Int(0xffffffff) : Value::Int(0));
    EXPECT_EQ(h.ViolationName(), bug ? "mmio-while-disabled" : "");
    if (!bug) {
      ASSERT_TRUE(il.Finish(closer));
      EXPECT_EQ(il.result(closer), Value::Ok());
      EXPECT_FALSE(h.violation());
    }
  }
}

TEST_P(RaceTest, ZapBeforeLockLetsAFaultReinsertBeforeMemClear) {
  for (const bool bug : {false, true}) {
    Harness h({.variant = GetParam(), .bugs = bug ? std::vector<Bug>{Bug::kZapBeforeLock} : std::vector<Bug>{}});
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0);
    ASSERT_EQ(h.Read(p, va), Value::Int(0));
    Interleaving il(h.checker());
    const int admin = il.Spawn(h.m().OpCommand(fd, false), "admin");
    const int cpu = il.Spawn(h.m().OpRead(p, va), "cpu");
    // The admin runs up to its down_write(&memory_lock) (the mutant has zapped).
    ASSERT_TRUE(il.RunUntil(admin, Interleaving::AboutToLock(LockClass::kMemoryLock, true)));
    EXPECT_EQ(h.PresentLeaves(p), bug ? 0u : 1u);
    ASSERT_TRUE(il.Finish(cpu));  // re-faults the leaf in: memory is still enabled
    EXPECT_EQ(il.result(cpu), Value::Int(0));
    EXPECT_EQ(h.PresentLeaves(p), 1u);
    ASSERT_TRUE(il.Finish(admin));
    EXPECT_EQ(h.PresentLeaves(p), bug ? 1u : 0u);
    EXPECT_EQ(h.ViolationName(), bug ? "stale-pte" : "");
  }
}

TEST_P(RaceTest, FaultWithoutLockInsertsAfterMemClear) {
  for (const bool bug : {false, true}) {
    Harness h({.variant = GetParam(), .bugs = bug ? std::vector<Bug>{Bug::kFaultWithoutLock} : std::vector<Bug>{}});
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0);
    Interleaving il(h.checker());
    const int cpu = il.Spawn(h.m().OpRead(p, va), "cpu");
    const int admin = il.Spawn(h.m().OpCommand(fd, false), "admin");
    // The fault has checked that memory is enabled and is about to insert.
    ASSERT_TRUE(il.RunUntil(cpu, Interleaving::AboutToLockIn(LockClass::kPtl, "vmf_insert_pfn")));
    if (bug) {
      ASSERT_TRUE(il.Finish(admin));  // MEM clear: nothing to zap yet
      ASSERT_TRUE(il.Finish(cpu));
      EXPECT_EQ(h.PresentLeaves(p), 1u);
      EXPECT_EQ(h.ViolationName(), "stale-pte");
    } else {
      // The fault holds memory_lock for read: the admin waits for it.
      EXPECT_FALSE(il.Finish(admin));
      EXPECT_TRUE(il.blocked(admin));
      ASSERT_TRUE(il.Finish(cpu));
      EXPECT_EQ(il.result(cpu), Value::Int(0));
      ASSERT_TRUE(il.Finish(admin));
      EXPECT_EQ(h.PresentLeaves(p), 0u);
      EXPECT_FALSE(h.violation());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, RaceTest, ::testing::Values(Variant::kLegacy, Variant::kDmabuf),
                         VariantParamName);

}  // namespace
}  // namespace vfiosim::testing_model
