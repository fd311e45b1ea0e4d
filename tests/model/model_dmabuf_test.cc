// The VFIO dma-buf exporter (VFIO_DEVICE_FEATURE_DMA_BUF) and its importers:
// export validation, attach (dynamic only), map/unmap, move_notify on revoke,
// detach and the dma-buf file refcount; mmap of an exported dma-buf (the patch
// only); iommufd and type1 IOVA mappings.
#include <gtest/gtest.h>

#include "tests/model/model_test_harness.h"

namespace vfiosim::testing_model {
namespace {

class DmabufTest : public VariantTest {};

TEST_P(DmabufTest, ExportOfBar0CoversTheWholeBar) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  ASSERT_EQ(buf.kind, Value::Kind::kHandle);
  vfio::VfioPciDmaBuf* priv = h.Priv();
  ASSERT_NE(priv, nullptr);
  EXPECT_EQ(priv->status(), vfio::RevokeStatus::kOk);
  EXPECT_EQ(priv->size, 2 * kMiB);
  ASSERT_EQ(priv->phys_vec.size(), 1u);
  EXPECT_EQ(priv->phys_vec[0].paddr, h.pdev().bars[0].start);
  EXPECT_EQ(priv->phys_vec[0].len, 2 * kMiB);
  EXPECT_EQ(priv->dmabuf->size(), 2 * kMiB);
  EXPECT_EQ(priv->dmabuf->refcount(), 1);  // the fd's
  EXPECT_TRUE(priv->on_list);
  EXPECT_EQ(h.vdev().dmabufs.size(), 1u);
  EXPECT_EQ(h.vdev().registrations, 2);  // vfio_device_try_get_registration()
  EXPECT_FALSE(h.m().Revoked(buf));
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, ExportValidatesRanges) {
  Harness h(Opts({{0, 2 * kMiB}, {2, 4 * kKiB, /*io=*/true}}));
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Export(fd, 0, {{0x800, 4 * kKiB}}), Value::Err(kEINVAL));        // unaligned offset
  EXPECT_EQ(h.Export(fd, 0, {{0, 0x800}}), Value::Err(kEINVAL));               // unaligned length
  EXPECT_EQ(h.Export(fd, 0, {{0, 0}}), Value::Err(kEINVAL));                   // zero length
  EXPECT_EQ(h.Export(fd, 0, {{0, 4 * kMiB}}), Value::Err(kEINVAL));            // beyond the BAR
  EXPECT_EQ(h.Export(fd, 0, {{2 * kMiB - 4 * kKiB, 8 * kKiB}}), Value::Err(kEINVAL));  // straddles the end
  EXPECT_EQ(h.Export(fd, 0, {{~uint64_t{0} & ~uint64_t{4095}, 4 * kKiB}}), Value::Err(kEOVERFLOW));
  // validate_dmabuf_input(): a total length that overflows is -EINVAL.
  EXPECT_EQ(h.Export(fd, 0, {{0, uint64_t{1} << 63}, {0, uint64_t{1} << 63}}), Value::Err(kEINVAL));
  EXPECT_EQ(h.Export(fd, 1, {}), Value::Err(kEINVAL));                          // no such BAR
  EXPECT_EQ(h.Export(fd, 2, {}), Value::Err(kEINVAL));                          // an I/O BAR
  EXPECT_EQ(h.Export(fd, 6, {}), Value::Err(kENODEV));                          // ROM and beyond
  EXPECT_TRUE(h.m().AllDmaBufs().empty());
  EXPECT_EQ(h.vdev().registrations, 1);
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, MultiRangeExportConcatenatesRanges) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Write(p, va + 1 * kMiB + 8, 0x55), Value::Ok());
  const Value buf = h.Export(fd, 0, {{0, 4 * kKiB}, {1 * kMiB, 4 * kKiB}});
  ASSERT_EQ(buf.kind, Value::Kind::kHandle);
  EXPECT_EQ(h.Priv()->size, 8 * kKiB);
  const Value att = h.Attach(buf);
  ASSERT_EQ(h.Map(att), Value::Ok());
  EXPECT_EQ(h.Dma(att, 4 * kKiB + 8), Value::Int(0x55));  // second range
  EXPECT_EQ(h.Dma(att, 8 * kKiB), Value::Err(kEINVAL));   // beyond the buffer
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, ExportWithMemoryDisabledStartsRevoked) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  const Value buf = h.Export(fd, 0);
  ASSERT_EQ(buf.kind, Value::Kind::kHandle);
  EXPECT_TRUE(h.m().Revoked(buf));
  EXPECT_EQ(h.Priv()->status(), vfio::RevokeStatus::kTempRevoked);
  // vfio_pci_dma_buf_attach(): revoked -> -ENODEV.
  EXPECT_EQ(h.Attach(buf), Value::Err(kENODEV));
  ASSERT_EQ(h.Command(fd, true), Value::Ok());
  EXPECT_FALSE(h.m().Revoked(buf));
  const Value att = h.Attach(buf);
  ASSERT_EQ(att.kind, Value::Kind::kHandle);
  EXPECT_EQ(h.Map(att), Value::Ok());
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, StaticAttachIsEopnotsupp) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  EXPECT_EQ(h.Attach(buf, /*dynamic=*/false), Value::Err(kEOPNOTSUPP));
  EXPECT_TRUE(h.Priv()->dmabuf->attachments.empty());
  EXPECT_EQ(h.Priv()->dmabuf->refcount(), 1);
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, DynamicAttachMapAndDmaReadsWhatTheCpuWrote) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Write(p, va + 0x3000, 0xcafe), Value::Ok());
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  ASSERT_EQ(att.kind, Value::Kind::kHandle);
  dmabuf::Attachment& a = h.m().attachments()[att.v];
  EXPECT_TRUE(a.attached);
  EXPECT_TRUE(a.dynamic);
  EXPECT_TRUE(a.peer2peer);
  EXPECT_EQ(h.Priv()->dmabuf->refcount(), 2);  // the importer's dma_buf_get()
  EXPECT_EQ(h.Dma(att, 0x3000), Value::Err(kEIO));  // not mapped yet
  EXPECT_EQ(h.Map(att), Value::Ok());
  EXPECT_TRUE(a.mapped);
  ASSERT_EQ(a.sgt.size(), 1u);
  EXPECT_EQ(a.sgt[0].paddr, h.pdev().bars[0].start);
  EXPECT_EQ(h.Dma(att, 0x3000), Value::Int(0xcafe));
  EXPECT_EQ(h.Unmap(att), Value::Ok());
  EXPECT_FALSE(a.mapped);
  EXPECT_EQ(h.Dma(att, 0x3000), Value::Err(kEIO));
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, MemClearInvalidatesTheImporterUntilMemIsSetAgain) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  ASSERT_EQ(h.Map(att), Value::Ok());
  dmabuf::Attachment& a = h.m().attachments()[att.v];
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_TRUE(a.invalidated);  // move_notify ran
  EXPECT_FALSE(a.mapped);      // and the importer dropped its mapping
  EXPECT_TRUE(a.sgt.empty());
  EXPECT_TRUE(h.m().Revoked(buf));
  EXPECT_EQ(h.Dma(att, 0), Value::Err(kEIO));
  EXPECT_EQ(h.Map(att), Value::Err(kENODEV));
  EXPECT_EQ(h.Map(att), Value::Err(kENODEV));
  ASSERT_EQ(h.Command(fd, true), Value::Ok());
  EXPECT_FALSE(h.m().Revoked(buf));
  EXPECT_FALSE(a.mapped);  // un-revoke does not map for the importer
  EXPECT_EQ(h.Map(att), Value::Ok());
  EXPECT_FALSE(a.invalidated);
  EXPECT_EQ(h.Dma(att, 0), Value::Int(0));
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, ResetAndLowPowerNotifyTheImporter) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  dmabuf::Attachment& a = h.m().attachments()[att.v];
  ASSERT_EQ(h.Map(att), Value::Ok());
  ASSERT_EQ(h.Reset(fd), Value::Ok());
  EXPECT_TRUE(a.invalidated);
  EXPECT_FALSE(a.mapped);
  EXPECT_FALSE(h.m().Revoked(buf));  // un-revoked before up_write
  ASSERT_EQ(h.Map(att), Value::Ok());
  ASSERT_EQ(h.Power(fd, true), Value::Ok());
  EXPECT_TRUE(a.invalidated);
  EXPECT_TRUE(h.m().Revoked(buf));
  EXPECT_EQ(h.Map(att), Value::Err(kENODEV));
  ASSERT_EQ(h.Power(fd, false), Value::Ok());
  EXPECT_FALSE(h.m().Revoked(buf));
  EXPECT_EQ(h.Map(att), Value::Ok());
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, DetachDropsTheImportersReferenceAndLaterUseIsUseAfterFree) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  ASSERT_EQ(h.Map(att), Value::Ok());
  dmabuf::DmaBuf* b = h.Priv()->dmabuf;
  ASSERT_EQ(b->refcount(), 2);
  EXPECT_EQ(h.Detach(att), Value::Ok());
  EXPECT_EQ(b->refcount(), 1);
  EXPECT_TRUE(b->attachments.empty());
  EXPECT_FALSE(h.m().attachments()[att.v].attached);
  EXPECT_FALSE(h.violation());
  EXPECT_EQ(h.Map(att), Value::Err(kEBADF));
  EXPECT_EQ(h.ViolationName(), "use-after-free");
}

TEST_P(DmabufTest, ClosingTheBufFdKeepsItAliveWhileAttached) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  ASSERT_EQ(h.Map(att), Value::Ok());
  vfio::VfioPciDmaBuf* priv = h.Priv();
  EXPECT_EQ(h.Close(buf), Value::Ok());
  EXPECT_FALSE(priv->freed);
  EXPECT_EQ(priv->dmabuf->refcount(), 1);
  EXPECT_EQ(h.Dma(att, 0), Value::Int(0));
  EXPECT_EQ(h.Close(buf), Value::Err(kEBADF));
  EXPECT_EQ(h.Detach(att), Value::Ok());  // the last reference: ->release
  EXPECT_TRUE(priv->freed);
  EXPECT_TRUE(priv->dmabuf->released());
  EXPECT_FALSE(priv->on_list);
  EXPECT_TRUE(h.vdev().dmabufs.empty());
  EXPECT_EQ(h.vdev().registrations, 1);
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, DeviceCloseRevokesPermanentlyAndNotifiesImporters) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  ASSERT_EQ(h.Map(att), Value::Ok());
  vfio::VfioPciDmaBuf* priv = h.Priv();
  ASSERT_EQ(h.Close(fd), Value::Ok());
  EXPECT_EQ(h.vdev().open_count, 0);
  EXPECT_EQ(priv->status(), vfio::RevokeStatus::kPermRevoked);
  EXPECT_EQ(priv->vdev, nullptr);
  EXPECT_FALSE(priv->on_list);
  EXPECT_EQ(h.vdev().registrations, 1);
  EXPECT_FALSE(priv->freed);  // the fd and the attachment still hold it
  dmabuf::Attachment& a = h.m().attachments()[att.v];
  EXPECT_TRUE(a.invalidated);
  EXPECT_FALSE(a.mapped);
  EXPECT_EQ(h.Map(att), Value::Err(kENODEV));
  EXPECT_EQ(h.Dma(att, 0), Value::Err(kEIO));
  // vfio_pci_core_disable() after the cleanup.
  EXPECT_FALSE(h.pdev().decode_enabled());
  EXPECT_EQ(static_cast<pci::PowerState>(h.pdev().power), pci::PowerState::kD3hot);
  EXPECT_EQ(h.Detach(att), Value::Ok());
  EXPECT_EQ(h.Close(buf), Value::Ok());
  EXPECT_TRUE(priv->freed);
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, IommufdMappingIsDroppedOnRevoke) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value io = h.Run(h.m().OpIommufdMap(buf));
  ASSERT_EQ(io.kind, Value::Kind::kHandle);
  EXPECT_EQ(h.Run(h.m().OpP2p(io, 0)), Value::Int(0));
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.Run(h.m().OpP2p(io, 0)), Value::Err(kEIO));
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, Type1IovaOfABarMmapIsNotInvalidatedByMemClear) {
  // follow_pfnmap + fixup_user_fault: no notifier ties the IOVA to later zaps;
  // a peer DMA after MEM clear reaches disabled MMIO.
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  const Value io = h.Run(h.m().OpIommuMap(p, va, 2 * kMiB, true));
  ASSERT_EQ(io.kind, Value::Kind::kHandle);
  EXPECT_EQ(h.PresentLeaves(p), 1u);  // faulted in by fixup_user_fault()
  ASSERT_EQ(h.m().iovas()[io.v].ranges.size(), 1u);
  EXPECT_EQ(h.m().iovas()[io.v].ranges[0].len, 2 * kMiB);  // one step per PMD leaf
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_FALSE(h.violation());
  EXPECT_EQ(h.Run(h.m().OpP2p(io, 0)), Value::Int(0xffffffff));
  EXPECT_EQ(h.ViolationName(), "mmio-while-disabled");
}

// follow_fault_pfn() (07956b6269d3): a MAP_DMA with IOMMU_WRITE of a read-only
// mapping is EFAULT, whether the PTE is faulted in already or not; IOMMU_READ
// alone maps it.
TEST_P(DmabufTest, Type1WriteMapOfAReadOnlyMmapIsEfault) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value va = h.Mmap(p, fd, 0, 0, 4096, std::nullopt, /*writable=*/false);
  ASSERT_EQ(va.kind, Value::Kind::kInt);
  EXPECT_EQ(h.Run(h.m().OpIommuMap(p, va.v, 4096, true)), Value::Err(kEFAULT));  // fixup_user_fault()
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_EQ(h.Read(p, va.v), Value::Int(0));
  EXPECT_EQ(h.Run(h.m().OpIommuMap(p, va.v, 4096, true)), Value::Err(kEFAULT));  // !pte_write()
  const Value ro = h.Run(h.m().OpIommuMap(p, va.v, 4096, false));
  ASSERT_EQ(ro.kind, Value::Kind::kHandle);
  EXPECT_FALSE(h.m().iovas()[ro.v].write);
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, Type1IgnoringPteWriteMapsAReadOnlyPteWritable) {
  HarnessOptions o = Opts();
  o.bugs = {Bug::kType1IgnoresPteWrite};
  Harness h(o);
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value va = h.Mmap(p, fd, 0, 0, 4096, std::nullopt, /*writable=*/false);
  ASSERT_EQ(va.kind, Value::Kind::kInt);
  EXPECT_EQ(h.Run(h.m().OpIommuMap(p, va.v, 4096, true)), Value::Err(kEFAULT));  // the VMA check stays
  EXPECT_EQ(h.Read(p, va.v), Value::Int(0));
  EXPECT_FALSE(h.violation());
  EXPECT_EQ(h.Run(h.m().OpIommuMap(p, va.v, 4096, true)).kind, Value::Kind::kHandle);
  EXPECT_EQ(h.ViolationName(), "iommu-prot-escalation");
}

// ---- RLIMIT_NOFILE: dma_buf_fd() failing in the export (e98137f0a874) ----

TEST_P(DmabufTest, OpenAtTheFdLimitIsEmfileAndOpensNothing) {
  Harness h(Opts());
  const int p = static_cast<int>(h.m().OpProcess(1).v);
  const Value fd = h.Open(p);
  ASSERT_EQ(fd.kind, Value::Kind::kHandle);
  EXPECT_EQ(h.Open(p), Value::Err(kEMFILE));
  EXPECT_EQ(h.m().vdevs()[0].open_count, 1);
  ASSERT_EQ(h.Close(fd), Value::Ok());
  EXPECT_EQ(h.Open(p).kind, Value::Kind::kHandle);  // the closed slot is free again
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, ExportAtTheFdLimitIsEmfileAndFreesTheBufOnce) {
  Harness h(Opts());
  const int p = static_cast<int>(h.m().OpProcess(1).v);
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Export(fd, 0), Value::Err(kEMFILE));
  ASSERT_EQ(h.m().vdevs()[0].privs.size(), 1u);
  EXPECT_TRUE(h.m().vdevs()[0].privs.front().freed);
  EXPECT_TRUE(h.m().vdevs()[0].dmabufs.empty());
  EXPECT_EQ(h.m().vdevs()[0].registrations, 1);
  ASSERT_EQ(h.Exit(p), Value::Ok());
  h.AtEnd();
  EXPECT_FALSE(h.violation());
}

TEST_P(DmabufTest, ExportFdFailDoublePutIsAUseAfterFree) {
  HarnessOptions o = Opts();
  o.bugs = {Bug::kExportFdFailDoublePut};
  Harness h(o);
  const int p = static_cast<int>(h.m().OpProcess(1).v);
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Export(fd, 0), Value::Err(kEMFILE));
  EXPECT_EQ(h.m().vdevs()[0].registrations, 0);  // put twice
  EXPECT_EQ(h.ViolationName(), "use-after-free");
}

// ---- the last reference dropped while vfio_pci_dma_buf_move() holds one ----

// vfio_pci_dma_buf_move() takes a reference (get_file_active()) per buffer and
// fput()s it under memory_lock. If the buffer's other references go away
// meanwhile, that fput() is the last: ->release (which takes memory_lock) is
// deferred to task_work and runs after up_write, not under the lock.
TEST_P(DmabufTest, LastPutInsideDmaBufMoveReleasesAfterUpWrite) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  vfio::VfioPciDmaBuf* priv = h.Priv();
  Interleaving il(h.checker());
  const int admin = il.Spawn(h.m().OpCommand(fd, false), "admin");
  const int closer = il.Spawn(h.m().OpClose(buf), "close");
  ASSERT_TRUE(
      il.RunUntil(admin, Interleaving::AboutToLockIn(LockClass::kDmaResv, "vfio_pci_dma_buf_move")));
  EXPECT_EQ(priv->dmabuf->refcount(), 2);  // the fd's and the move's
  ASSERT_TRUE(il.Finish(closer));
  EXPECT_FALSE(priv->freed);
  ASSERT_TRUE(il.Finish(admin)) << "the release blocked on the memory_lock its own thread holds";
  EXPECT_EQ(il.result(admin), Value::Ok());
  EXPECT_TRUE(priv->freed);
  EXPECT_TRUE(h.vdev().dmabufs.empty());
  EXPECT_EQ(h.vdev().registrations, 1);
  EXPECT_FALSE(h.vdev().memory_lock.write_held());
  EXPECT_FALSE(h.violation());
}

INSTANTIATE_TEST_SUITE_P(Variants, DmabufTest, ::testing::Values(Variant::kLegacy, Variant::kDmabuf),
                         VariantParamName);

// ---- mmap of an exported dma-buf ----

TEST(DmabufMmapTest, LegacyExporterHasNoMmap) {
  Harness h({.variant = Variant::kLegacy});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  ASSERT_EQ(buf.kind, Value::Kind::kHandle);
  EXPECT_EQ(h.MmapBuf(p, buf), Value::Err(kEINVAL));
  EXPECT_TRUE(h.mm(p).vmas.empty());
  EXPECT_EQ(h.Priv()->dmabuf->refcount(), 1);  // mmap's reference dropped again
}

TEST(DmabufMmapTest, MmapOfExportFaultsThroughTheBuf) {
  Harness h({.variant = Variant::kDmabuf, .bars = {{0, 4 * kMiB}}});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0, {{2 * kMiB, 2 * kMiB}});
  const Value va = h.MmapBuf(p, buf);
  ASSERT_EQ(va.kind, Value::Kind::kInt);
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_EQ(h.Priv()->dmabuf->refcount(), 2);  // fd + vma
  EXPECT_EQ(h.Read(p, va.v), Value::Int(0));
  ASSERT_TRUE(h.Leaf(p, va.v));
  EXPECT_EQ(h.Leaf(p, va.v)->shift, kPmdShift);
  EXPECT_EQ(h.Leaf(p, va.v)->pfn, h.BarPfn(0) + 512);  // the range's start
  EXPECT_EQ(h.MmapBuf(p, buf, 0, 4 * kMiB), Value::Err(kEINVAL));  // longer than the buffer
  EXPECT_FALSE(h.violation());
}

TEST(DmabufMmapTest, MmapOfRevokedExportIsEnodev) {
  Harness h({.variant = Variant::kDmabuf});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  ASSERT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.MmapBuf(p, buf), Value::Err(kENODEV));
  EXPECT_TRUE(h.mm(p).vmas.empty());
}

TEST(DmabufMmapTest, DeviceCloseZapsAnMmappedExportAndItFaultsSigbus) {
  Harness h({.variant = Variant::kDmabuf});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value va = h.MmapBuf(p, buf);
  ASSERT_EQ(va.kind, Value::Kind::kInt);
  ASSERT_EQ(h.Read(p, va.v), Value::Int(0));
  ASSERT_EQ(h.PresentLeaves(p), 1u);
  vfio::VfioPciDmaBuf* priv = h.Priv();
  // The export does not hold the device file: this close is the last one.
  EXPECT_EQ(h.Close(fd), Value::Ok());
  EXPECT_EQ(h.vdev().open_count, 0);
  EXPECT_EQ(priv->status(), vfio::RevokeStatus::kPermRevoked);
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_EQ(h.Read(p, va.v), Value::Sig(kSIGBUS));
  EXPECT_EQ(h.PresentLeaves(p), 0u);
  EXPECT_FALSE(h.violation());
}

TEST(DmabufMmapTest, MunmapDuringMemClearReleasesTheBarMmapsDmaBufAfterUpWrite) {
  Harness h({.variant = Variant::kDmabuf});
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  ASSERT_EQ(h.Read(p, va), Value::Int(0));
  vfio::VfioPciDmaBuf* priv = h.VmaPriv(p, va);
  Interleaving il(h.checker());
  const int admin = il.Spawn(h.m().OpCommand(fd, false), "admin");
  const int cpu = il.Spawn(h.m().OpMunmap(p, va, std::nullopt), "munmap");
  ASSERT_TRUE(
      il.RunUntil(admin, Interleaving::AboutToLockIn(LockClass::kDmaResv, "vfio_pci_dma_buf_move")));
  ASSERT_TRUE(il.Finish(cpu));
  EXPECT_EQ(il.result(cpu), Value::Ok());
  EXPECT_FALSE(priv->freed);
  ASSERT_TRUE(il.Finish(admin));
  EXPECT_TRUE(priv->freed);
  EXPECT_EQ(priv->device_file, nullptr);  // the release put the device file
  EXPECT_EQ(h.vdev().open_count, 1);      // the fd still holds it
  EXPECT_EQ(h.vdev().registrations, 1);
  EXPECT_FALSE(h.violation());
}

// i386: no PCI_P2PDMA, so no CONFIG_VFIO_PCI_DMABUF in the legacy variant: the
// feature is the stub.
TEST(DmabufKconfigTest, ExportWithoutVfioPciDmabufIsEnotty) {
  Harness h({.arch = Arch::kI386, .variant = Variant::kLegacy});
  const int p = h.Process();
  const Value fd = h.Open(p);
  EXPECT_EQ(h.Export(fd, 0), Value::Err(kENOTTY));
}

}  // namespace
}  // namespace vfiosim::testing_model
