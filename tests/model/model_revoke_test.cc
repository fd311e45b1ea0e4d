// Revocation of BAR mappings: PCI_COMMAND.MEM clear/set, VFIO_DEVICE_RESET,
// low-power entry/exit, the permanent revoke ioctl, fork, and the cost of the
// zap (unmap_mapping_range() visits what is mapped, not the VA span).
#include <gtest/gtest.h>

#include "tests/model/model_test_harness.h"

namespace vfiosim::testing_model {
namespace {

class RevokeTest : public VariantTest {
 protected:
  RevokeTest() { default_bars = {{0, 4 * kMiB}}; }
};

TEST_P(RevokeTest, MemClearZapsEveryLeafAndTheNextReadSigbuses) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  // A PMD leaf, and 4K leaves through a second, misaligned mapping.
  ASSERT_EQ(h.Read(p, va), Value::Int(0));
  const uint64_t va2 = h.MmapBarOk(p, fd, 0, 0, 2 * kMiB, 80 * kGiB + 4 * kKiB);
  ASSERT_EQ(h.Read(p, va2), Value::Int(0));
  ASSERT_EQ(h.Read(p, va2 + 8 * kKiB), Value::Int(0));
  ASSERT_EQ(h.PresentLeaves(p), 3u);

  EXPECT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_FALSE(h.vdev().memory_enabled());
  EXPECT_FALSE(h.pdev().decode_enabled());
  EXPECT_EQ(h.Read(p, va), Value::Sig(kSIGBUS));
  EXPECT_EQ(h.Read(p, va2), Value::Sig(kSIGBUS));
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  if (GetParam() == Variant::kDmabuf) {
    ASSERT_NE(h.VmaPriv(p, va), nullptr);
    EXPECT_EQ(h.VmaPriv(p, va)->status(), vfio::RevokeStatus::kTempRevoked);
  }
  EXPECT_FALSE(h.violation()) << h.violation()->message;
}

TEST_P(RevokeTest, MemSetAgainLetsTheNextReadFaultIn) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Write(p, va + 16, 7), Value::Ok());
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  ASSERT_EQ(h.Read(p, va + 16), Value::Sig(kSIGBUS));
  EXPECT_EQ(h.Command(fd, true), Value::Ok());
  EXPECT_TRUE(h.vdev().memory_enabled());
  EXPECT_EQ(h.PresentLeaves(p), 0u);  // re-enable populates nothing
  if (GetParam() == Variant::kDmabuf) {
    EXPECT_EQ(h.VmaPriv(p, va)->status(), vfio::RevokeStatus::kOk);
  }
  EXPECT_EQ(h.Read(p, va + 16), Value::Int(7));  // BAR memory survives MEM toggling
  ASSERT_EQ(h.PresentLeaves(p), 1u);
  EXPECT_EQ(h.Leaf(p, va)->shift, kPmdShift);
  EXPECT_FALSE(h.violation());
}

TEST_P(RevokeTest, MemClearWhenAlreadyClearIsStillAWriteWithMemZeroAndSucceeds) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_FALSE(h.vdev().memory_enabled());
  EXPECT_EQ(h.Read(p, va), Value::Sig(kSIGBUS));
  EXPECT_FALSE(h.vdev().memory_lock.write_held());
  EXPECT_FALSE(h.violation());
}

TEST_P(RevokeTest, ResetZapsAndUnrevokes) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Write(p, va + 4, 0x1234), Value::Ok());
  ASSERT_EQ(h.PresentLeaves(p), 1u);
  EXPECT_EQ(h.Reset(fd), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  // pci_save_state()/pci_restore_state(): MEM is back, the device is in D0.
  EXPECT_TRUE(h.pdev().decode_enabled());
  EXPECT_FALSE(h.pdev().in_reset);
  EXPECT_TRUE(h.vdev().memory_enabled());
  if (GetParam() == Variant::kDmabuf) {
    ASSERT_NE(h.VmaPriv(p, va), nullptr);
    EXPECT_FALSE(h.VmaPriv(p, va)->revoked());
  }
  // The function reset lost the device's memory; the mapping works again.
  EXPECT_EQ(h.Read(p, va + 4), Value::Int(0));
  EXPECT_EQ(h.PresentLeaves(p), 1u);
  EXPECT_FALSE(h.violation());
}

TEST_P(RevokeTest, ResetWithMemDisabledKeepsTheMappingRevoked) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.Reset(fd), Value::Ok());
  EXPECT_FALSE(h.vdev().memory_enabled());  // the virtualised MEM stays clear
  if (GetParam() == Variant::kDmabuf) {
    EXPECT_TRUE(h.VmaPriv(p, va)->revoked());
  }
  EXPECT_EQ(h.Read(p, va), Value::Sig(kSIGBUS));
  EXPECT_FALSE(h.violation());
}

TEST_P(RevokeTest, ResetOfNoresetDeviceIsEinvalAndChangesNothing) {
  HarnessOptions o = Opts();
  o.noreset = true;
  Harness h(o);
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Write(p, va, 9), Value::Ok());
  EXPECT_EQ(h.Reset(fd), Value::Err(kEINVAL));
  EXPECT_EQ(h.PresentLeaves(p), 1u);  // -EINVAL before zap and lock
  EXPECT_EQ(h.Read(p, va), Value::Int(9));
  EXPECT_FALSE(h.violation());
}

TEST_P(RevokeTest, LowPowerEntryZapsAndFaultsSigbusUntilExit) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Write(p, va, 5), Value::Ok());
  EXPECT_EQ(h.Power(fd, true), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_TRUE(h.vdev().pm_runtime_engaged);
  EXPECT_EQ(static_cast<pci::PowerState>(h.pdev().power), pci::PowerState::kD3hot);
  EXPECT_EQ(h.Read(p, va), Value::Sig(kSIGBUS));
  EXPECT_EQ(h.Power(fd, true), Value::Err(kEINVAL));  // already engaged
  EXPECT_EQ(h.Power(fd, false), Value::Ok());
  EXPECT_FALSE(h.vdev().pm_runtime_engaged);
  EXPECT_EQ(static_cast<pci::PowerState>(h.pdev().power), pci::PowerState::kD0);
  EXPECT_EQ(h.PresentLeaves(p), 0u);  // exit does not re-populate
  EXPECT_EQ(h.Read(p, va), Value::Int(5));
  EXPECT_EQ(h.PresentLeaves(p), 1u);
  EXPECT_FALSE(h.violation());
}

TEST_P(RevokeTest, LowPowerExitWithMemDisabledStaysRevoked) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  ASSERT_EQ(h.Power(fd, true), Value::Ok());
  ASSERT_EQ(h.Power(fd, false), Value::Ok());
  if (GetParam() == Variant::kDmabuf) {
    EXPECT_TRUE(h.VmaPriv(p, va)->revoked());
  }
  EXPECT_EQ(h.Read(p, va), Value::Sig(kSIGBUS));
  EXPECT_FALSE(h.violation());
}

TEST_P(RevokeTest, ForkCopiesLeavesHugeAsHuge) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Write(p, va, 0xabc), Value::Ok());                   // PMD
  const uint64_t va2 = h.MmapBarOk(p, fd, 0, 0, 2 * kMiB, 80 * kGiB + 4 * kKiB);
  ASSERT_EQ(h.Read(p, va2), Value::Int(0xabc));                    // 4K
  const int c = h.Fork(p);
  EXPECT_EQ(h.Leaves(c), h.Leaves(p));
  ASSERT_EQ(h.PresentLeaves(c), 2u);
  EXPECT_EQ(h.Leaf(c, va)->shift, kPmdShift);
  EXPECT_EQ(h.Leaf(c, va)->pfn, h.BarPfn(0));
  EXPECT_EQ(h.Leaf(c, va2)->shift, kPteShift);
  // The child reads through its copied leaf without faulting.
  EXPECT_EQ(h.Read(c, va), Value::Int(0xabc));
  EXPECT_EQ(h.PresentLeaves(c), 2u);
  // The child's VMAs share the file: they sit in the same i_mmap.
  EXPECT_EQ(h.mm(c).vmas.size(), 2u);
  EXPECT_FALSE(h.violation());
}

TEST_P(RevokeTest, MemClearZapsTheForkedChildToo) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Read(p, va), Value::Int(0));
  const int c = h.Fork(p);
  ASSERT_EQ(h.PresentLeaves(c), 1u);
  EXPECT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_EQ(h.PresentLeaves(c), 0u);
  EXPECT_EQ(h.Read(c, va), Value::Sig(kSIGBUS));
  EXPECT_FALSE(h.violation());
}

TEST_P(RevokeTest, ZapVisitsOnlyMappedEntries) {
  // A 1G mapping with two 4K leaves: the zap walks a handful of populated
  // entries, not 262144 PTE slots.
  HarnessOptions o = Opts({{0, 1 * kGiB}});
  o.tweak = [](vfio::KernelConfig& c) { c.pmd_pfnmap = c.pud_pfnmap = false; };
  Harness h(o);
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Read(p, va + 4 * kKiB), Value::Int(0));
  ASSERT_EQ(h.Read(p, va + 700 * kMiB), Value::Int(0));
  ASSERT_EQ(h.PresentLeaves(p), 2u);
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  // pgd entry + pud entry + 2 pmd entries + 2 pte leaves.
  EXPECT_EQ(h.pt(p).last_walk_entries_visited(), 6u);
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_FALSE(h.violation());
}

// fork vs MEM clear: dup_mmap() links the child's VMA into i_mmap right
// after the parent's, before copy_page_range(), so however far the fork has got
// when the zap runs, the child ends up without a leaf. Tries every point of the
// fork at which the whole MEM clear may run (then both run to completion).
TEST_P(RevokeTest, ForkRacingMemClearNeverLeavesAChildLeaf) {
  for (int k = 0;; ++k) {
    Harness h(Opts());
    const int p = h.Process();
    const Value fd = h.Open(p);
    const uint64_t va = h.MmapBarOk(p, fd, 0);
    ASSERT_EQ(h.Read(p, va), Value::Int(0));
    Interleaving il(h.checker());
    const int fork = il.Spawn(h.m().OpFork(p), "fork");
    const int admin = il.Spawn(h.m().OpCommand(fd, false), "admin");
    for (int i = 0; i < k; ++i) ASSERT_TRUE(il.Step(fork));
    if (il.done(fork)) break;  // every point tried
    il.Finish(admin);          // as far as it gets
    ASSERT_TRUE(il.FinishAll()) << "deadlock, k=" << k;
    const int c = static_cast<int>(il.result(fork).v);
    EXPECT_EQ(h.PresentLeaves(p), 0u) << "k=" << k;
    EXPECT_EQ(h.PresentLeaves(c), 0u) << "k=" << k;
    EXPECT_FALSE(h.violation()) << "k=" << k << ": " << h.violation()->message;
    ASSERT_LT(k, 100);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, RevokeTest, ::testing::Values(Variant::kLegacy, Variant::kDmabuf),
                         VariantParamName);

// ---- legacy only ----

// kernel-notes 1.5: vfio_basic_config_write() zaps on every PCI_COMMAND write
// whose MEM bit is 0, even if it already was 0. A leaf that exists while MEM is
// 0 (only the legacy-no-memory-check mutant can install one) goes away.
TEST(RevokeLegacyTest, MemZeroWriteWhenAlreadyZeroStillZaps) {
  Harness h({.variant = Variant::kLegacy, .bugs = {Bug::kLegacyNoMemoryCheck}});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  ASSERT_EQ(h.Read(p, va), Value::Int(0xffffffff));  // master abort through the mutant's leaf
  ASSERT_EQ(h.PresentLeaves(p), 1u);
  EXPECT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(p), 0u);
}

TEST(RevokeLegacyTest, RevokeIoctlIsEnotty) {
  Harness h({.variant = Variant::kLegacy});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  ASSERT_EQ(buf.kind, Value::Kind::kHandle);
  EXPECT_EQ(h.Revoke(fd, buf), Value::Err(kENOTTY));
  EXPECT_FALSE(h.m().Revoked(buf));
}

// ---- dmabuf only: VFIO_DEVICE_PCI_DMABUF_REVOKE ----

TEST(RevokeDmabufTest, PermanentRevokeZapsTheBufsMmapAndIsSticky) {
  Harness h({.variant = Variant::kDmabuf});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  ASSERT_EQ(buf.kind, Value::Kind::kHandle);
  const Value bva = h.MmapBuf(p, buf);
  ASSERT_EQ(bva.kind, Value::Kind::kInt);
  const uint64_t va = h.MmapBarOk(p, fd, 0);  // a BAR mmap: a dma-buf of its own
  ASSERT_EQ(h.Read(p, bva.v), Value::Int(0));
  ASSERT_EQ(h.Read(p, va), Value::Int(0));
  ASSERT_EQ(h.PresentLeaves(p), 2u);

  EXPECT_EQ(h.Revoke(fd, buf), Value::Ok());
  EXPECT_TRUE(h.m().Revoked(buf));
  EXPECT_FALSE(h.Leaf(p, bva.v).has_value());
  EXPECT_TRUE(h.Leaf(p, va).has_value());  // the other dma-buf is untouched
  EXPECT_EQ(h.Read(p, bva.v), Value::Sig(kSIGBUS));

  // MEM clear + set un-revokes TEMP revocations only.
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  ASSERT_EQ(h.Command(fd, true), Value::Ok());
  EXPECT_TRUE(h.m().Revoked(buf));
  EXPECT_EQ(h.VmaPriv(p, bva.v)->status(), vfio::RevokeStatus::kPermRevoked);
  EXPECT_EQ(h.Read(p, bva.v), Value::Sig(kSIGBUS));
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  // Reset does not undo it either; revoking again is -EBADFD.
  ASSERT_EQ(h.Reset(fd), Value::Ok());
  EXPECT_TRUE(h.m().Revoked(buf));
  EXPECT_EQ(h.Revoke(fd, buf), Value::Err(kEBADFD));
  EXPECT_FALSE(h.violation());
}

TEST(RevokeDmabufTest, PermanentRevokeOfTempRevokedBufUpgradesWithoutNotifyingAgain) {
  Harness h({.variant = Variant::kDmabuf});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  ASSERT_EQ(h.Map(att), Value::Ok());
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  dmabuf::Attachment& a = h.m().attachments()[att.v];
  EXPECT_TRUE(a.invalidated);
  a.invalidated = false;  // mark: would move_notify run again?
  EXPECT_EQ(h.Revoke(fd, buf), Value::Ok());
  EXPECT_FALSE(a.invalidated);
  EXPECT_EQ(h.Priv()->status(), vfio::RevokeStatus::kPermRevoked);
  ASSERT_EQ(h.Command(fd, true), Value::Ok());
  EXPECT_EQ(h.Map(att), Value::Err(kENODEV));
  EXPECT_FALSE(h.violation());
}

// vfio_pci_dma_buf_revoke(): `!db_vdev || db_vdev != vdev` -> -ENODEV.
TEST(RevokeDmabufTest, RevokeOfAnotherDevicesBufIsEnodev) {
  Harness h({.variant = Variant::kDmabuf, .devices = 2});
  const int p = h.Process();
  const Value fd0 = h.Open(p, 0);
  const Value fd1 = h.Open(p, 1);
  const Value buf = h.Export(fd0, 0);
  EXPECT_EQ(h.Revoke(fd1, buf), Value::Err(kENODEV));
  EXPECT_FALSE(h.m().Revoked(buf));
  EXPECT_EQ(h.Revoke(fd0, fd1), Value::Err(kEBADF));  // not a dma-buf
}

// A buffer cleaned up at the device's last close has priv->vdev == NULL: -ENODEV
// through a new open; a permanently revoked one: -EBADFD.
TEST(RevokeDmabufTest, RevokeOfACleanedUpBufIsEnodevOfARevokedOneEbadfd) {
  Harness h({.variant = Variant::kDmabuf});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value buf2 = h.Export(fd, 0);
  EXPECT_EQ(h.Revoke(fd, buf2), Value::Ok());
  EXPECT_EQ(h.Revoke(fd, buf2), Value::Err(kEBADFD));
  ASSERT_EQ(h.Close(fd), Value::Ok());  // last close: vfio_pci_dma_buf_cleanup()
  const Value fd2 = h.Open(p);
  EXPECT_EQ(h.Revoke(fd2, buf), Value::Err(kENODEV));
  EXPECT_TRUE(h.m().Revoked(buf));
  EXPECT_FALSE(h.violation());
}

// __vfio_pci_dma_buf_revoke() ("vfio/pci: Permanently revoke a DMABUF on
// request"): an un-revoke notifies importers while the status is still
// TEMP_REVOKED and sets OK in a second resv section, so an importer that maps
// after the notification but before the second section gets -ENODEV. Runs the
// whole map at every point of the MEM=1 write.
TEST(RevokeDmabufTest, UnrevokeNotifiesWhileStillRevokedThenSetsOk) {
  bool enodev_after_notify = false;
  for (int k = 0;; ++k) {
    Harness h({.variant = Variant::kDmabuf});
    const int p = h.Process();
    const Value fd = h.Open(p);
    const Value buf = h.Export(fd, 0);
    const Value att = h.Attach(buf);
    ASSERT_EQ(h.Map(att), Value::Ok());
    ASSERT_EQ(h.Command(fd, false), Value::Ok());
    dmabuf::Attachment& a = h.m().attachments()[att.v];
    a.invalidated = false;  // mark: has the un-revoke notified yet?
    Interleaving il(h.checker());
    const int admin = il.Spawn(h.m().OpCommand(fd, true), "admin");
    for (int i = 0; i < k; ++i) ASSERT_TRUE(il.Step(admin));
    if (il.done(admin)) break;  // every point tried
    const bool notified = a.invalidated;
    const int imp = il.Spawn(h.m().OpMap(att), "importer");
    il.Finish(imp);
    ASSERT_TRUE(il.FinishAll()) << "deadlock, k=" << k;
    if (notified && il.result(imp) == Value::Err(kENODEV)) enodev_after_notify = true;
    EXPECT_EQ(h.Priv()->status(), vfio::RevokeStatus::kOk) << "k=" << k;
    EXPECT_FALSE(h.violation()) << "k=" << k;
    ASSERT_LT(k, 100);
  }
  EXPECT_TRUE(enodev_after_notify);
}

}  // namespace
}  // namespace vfiosim::testing_model
