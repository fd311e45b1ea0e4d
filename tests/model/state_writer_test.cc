// Machine::WriteState() (model/machine_state.cc): the canonical bytes of a
// Machine's state that the stateful search keys its visited table on. Equal
// machines write equal bytes (also when they got there by different orders),
// and each kind of change is visible in the bytes: a field left out would
// make the search merge two states that behave differently.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "model/machine.h"
#include "sim/core/state_writer.h"
#include "sim/core/sync.h"
#include "tests/model/model_test_harness.h"

namespace vfiosim::testing_model {
namespace {

std::string State(Harness& h) {
  sim::StateWriter w;
  h.m().WriteState(w);
  return w.bytes();
}

// Only 4K leaves (no PMD/PUD pfnmap): separate last-level tables per 2 MiB.
void PteOnly(vfio::KernelConfig& c) {
  c.pmd_pfnmap = false;
  c.pud_pfnmap = false;
}

class StateWriterTest : public VariantTest {
 protected:
  HarnessOptions Opts4K(std::vector<BarDef> bars = {{0, 4 * kMiB}}) const {
    HarnessOptions o = VariantTest::Opts(std::move(bars));
    o.tweak = PteOnly;
    return o;
  }
};

// ---- equal machines, equal bytes ----

TEST_P(StateWriterTest, FreshMachinesWriteEqualBytes) {
  Harness a(Opts()), b(Opts());
  EXPECT_EQ(State(a), State(b));
  EXPECT_FALSE(State(a).empty());
}

TEST_P(StateWriterTest, WritingTwiceWritesTheSameBytes) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  h.Read(p, va);
  sim::StateWriter w;
  h.m().WriteState(w);
  const std::string first = w.bytes();
  w.Clear();
  h.m().WriteState(w);
  EXPECT_EQ(w.bytes(), first);
}

// The same ops on two machines of the same config: equal bytes after each op.
TEST_P(StateWriterTest, SameOpsWriteEqualBytes) {
  Harness a(Opts()), b(Opts());
  std::vector<std::function<void(Harness&)>> ops;
  int p = 0, c = 0;
  Value fd, buf, att, io;
  uint64_t va = 0;
  ops.push_back([&](Harness& h) { p = h.Process(); });
  ops.push_back([&](Harness& h) { fd = h.Open(p); });
  ops.push_back([&](Harness& h) { va = h.MmapBarOk(p, fd, 0); });
  ops.push_back([&](Harness& h) { h.Read(p, va); });
  ops.push_back([&](Harness& h) { h.Write(p, va + 8, 7); });
  ops.push_back([&](Harness& h) { buf = h.Export(fd, 0); });
  ops.push_back([&](Harness& h) { att = h.Attach(buf); });
  ops.push_back([&](Harness& h) { h.Map(att); });
  ops.push_back([&](Harness& h) { io = h.Run(h.m().OpIommufdMap(buf)); });
  ops.push_back([&](Harness& h) { c = h.Fork(p); });
  ops.push_back([&](Harness& h) { h.Command(fd, false); });
  ops.push_back([&](Harness& h) { h.Command(fd, true); });
  ops.push_back([&](Harness& h) { h.Munmap(c, va); });
  ops.push_back([&](Harness& h) { h.Detach(att); });
  ops.push_back([&](Harness& h) { h.Run(h.m().OpIommufdUnmap(io)); });
  ops.push_back([&](Harness& h) { h.Close(buf); });
  ops.push_back([&](Harness& h) { h.Exit(c); });
  ops.push_back([&](Harness& h) { h.Exit(p); });
  for (size_t i = 0; i < ops.size(); ++i) {
    ops[i](a);
    ops[i](b);
    ASSERT_EQ(State(a), State(b)) << "after op " << i;
  }
}

// Two reads of pages under different last-level tables, in either order: the
// tables get different pool slots, which must not show.
TEST_P(StateWriterTest, TwoReadsInEitherOrderWriteEqualBytes) {
  Harness a(Opts4K()), b(Opts4K());
  uint64_t va[2];
  Harness* hs[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    const int p = hs[i]->Process();
    const Value fd = hs[i]->Open(p);
    va[i] = hs[i]->MmapBarOk(p, fd, 0);
  }
  ASSERT_EQ(va[0], va[1]);
  EXPECT_EQ(a.Read(0, va[0]), Value::Int(0));
  EXPECT_EQ(a.Read(0, va[0] + 2 * kMiB + 4096), Value::Int(0));
  EXPECT_EQ(b.Read(0, va[1] + 2 * kMiB + 4096), Value::Int(0));
  EXPECT_NE(State(a), State(b));  // one read apart
  EXPECT_EQ(b.Read(0, va[1]), Value::Int(0));
  EXPECT_EQ(a.PresentLeaves(0), 2u);
  EXPECT_EQ(State(a), State(b));
}

// BAR writes at different offsets in either order: the sparse BAR memory is a
// hash map, written sorted.
TEST_P(StateWriterTest, TwoBarWritesInEitherOrderWriteEqualBytes) {
  Harness a(Opts()), b(Opts());
  uint64_t va[2];
  Harness* hs[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    const int p = hs[i]->Process();
    const Value fd = hs[i]->Open(p);
    va[i] = hs[i]->MmapBarOk(p, fd, 0);
  }
  for (uint64_t off = 0; off < 64 * 4; off += 4) a.Write(0, va[0] + off, static_cast<uint32_t>(off + 1));
  for (uint64_t off = 64 * 4; off > 0; off -= 4) b.Write(0, va[1] + off - 4, static_cast<uint32_t>(off - 4 + 1));
  EXPECT_EQ(State(a), State(b));
}

// ---- each kind of change shows ----

TEST_P(StateWriterTest, ProcessChangesState) {
  Harness h(Opts());
  const std::string before = State(h);
  h.Process();
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, OpenChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const std::string before = State(h);
  h.Open(p);
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, MmapChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const std::string before = State(h);
  h.MmapBarOk(p, fd, 0);
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, ReadThatInstallsAPteChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  const std::string before = State(h);
  EXPECT_EQ(h.Read(p, va), Value::Int(0));
  ASSERT_EQ(h.PresentLeaves(p), 1u);
  EXPECT_NE(State(h), before);
}

// The same leaf count, in another slot of the same last-level table.
TEST_P(StateWriterTest, PteInAnotherSlotChangesState) {
  Harness a(Opts4K()), b(Opts4K());
  uint64_t va[2];
  Harness* hs[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    const int p = hs[i]->Process();
    const Value fd = hs[i]->Open(p);
    va[i] = hs[i]->MmapBarOk(p, fd, 0);
  }
  a.Read(0, va[0]);
  b.Read(0, va[1] + 4096);
  EXPECT_NE(State(a), State(b));
}

// A read-only mapping against a writable one, both read once: the leaf's
// writable bit and the vma's VM_WRITE differ.
TEST_P(StateWriterTest, LeafWritableBitChangesState) {
  Harness a(Opts()), b(Opts());
  Harness* hs[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    const int p = hs[i]->Process();
    const Value fd = hs[i]->Open(p);
    const Value va = hs[i]->Mmap(p, fd, 0, 0, std::nullopt, std::nullopt, /*writable=*/i == 0);
    ASSERT_EQ(va.kind, Value::Kind::kInt);
    hs[i]->Read(p, va.v);
  }
  EXPECT_NE(State(a), State(b));
}

// A 2M leaf against the same range mapped by 4K leaves.
TEST_P(StateWriterTest, HugeLeafDiffersFromPteLeaves) {
  Harness a(Opts()), b(Opts4K());
  Harness* hs[2] = {&a, &b};
  for (Harness* h : hs) {
    const int p = h->Process();
    const Value fd = h->Open(p);
    const uint64_t va = h->MmapBarOk(p, fd, 0);
    EXPECT_EQ(h->Touch(p, va, 2 * kMiB), Value::Ok());
  }
  ASSERT_EQ(a.PresentLeaves(0), 1u);
  ASSERT_EQ(b.PresentLeaves(0), 512u);
  EXPECT_NE(State(a), State(b));
}

TEST_P(StateWriterTest, BarWriteChangesState) {
  Harness a(Opts()), b(Opts());
  Harness* hs[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    const int p = hs[i]->Process();
    const Value fd = hs[i]->Open(p);
    const uint64_t va = hs[i]->MmapBarOk(p, fd, 0);
    hs[i]->Write(p, va, 1);
  }
  ASSERT_EQ(State(a), State(b));
  a.Write(0, a.mm(0).vmas.begin()->vm_start, 2);  // the same word, another value
  EXPECT_NE(State(a), State(b));
}

TEST_P(StateWriterTest, CommandMemOffChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  h.Read(p, va);
  const std::string before = State(h);
  EXPECT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_EQ(h.PresentLeaves(p), 0u);  // zapped
  EXPECT_NE(State(h), before);
}

// Nothing mapped, nothing exported: what `command mem=0` changes is the
// command register and the virtualised PCI_COMMAND.
TEST_P(StateWriterTest, CommandMemOffWithoutMappingsChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const std::string before = State(h);
  EXPECT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_NE(State(h), before);
}

// Only the exported dma-buf's revoke status differs between the two (the
// device's own command register is the same in both).
TEST(StateWriterDmabufTest, RevokeStatusChangesState) {
  Harness a({.variant = Variant::kDmabuf}), b({.variant = Variant::kDmabuf});
  Harness* hs[2] = {&a, &b};
  Value buf[2];
  for (int i = 0; i < 2; ++i) {
    const int p = hs[i]->Process();
    const Value fd = hs[i]->Open(p);
    buf[i] = hs[i]->Export(fd, 0);
  }
  ASSERT_EQ(State(a), State(b));
  EXPECT_EQ(a.Revoke(Value::Handle(0), buf[0]), Value::Ok());
  EXPECT_TRUE(a.Priv()->revoked());
  EXPECT_NE(State(a), State(b));
}

// Attachment invalidated by move_notify (command mem=0 with a mapped importer).
TEST_P(StateWriterTest, MoveNotifyChangesAttachment) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  ASSERT_EQ(h.Map(att), Value::Ok());
  const std::string before = State(h);
  EXPECT_EQ(h.Command(fd, false), Value::Ok());
  EXPECT_TRUE(h.m().attachments()[0].invalidated);
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, ResetChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const std::string before = State(h);
  EXPECT_EQ(h.Reset(fd), Value::Ok());  // pci_save_state() kept the command register
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, LowPowerChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const std::string before = State(h);
  EXPECT_EQ(h.Power(fd, true), Value::Ok());
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, CloseChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value fd2 = h.Open(p);
  const std::string before = State(h);
  EXPECT_EQ(h.Close(fd2), Value::Ok());  // not the last: only the slot and f_count
  EXPECT_NE(State(h), before);
  const std::string before_last = State(h);
  EXPECT_EQ(h.Close(fd), Value::Ok());
  EXPECT_NE(State(h), before_last);
}

TEST_P(StateWriterTest, ExportChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const std::string before = State(h);
  ASSERT_EQ(h.Export(fd, 0).kind, Value::Kind::kHandle);
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, AttachChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const std::string before = State(h);
  ASSERT_EQ(h.Attach(buf).kind, Value::Kind::kHandle);
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, MapChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  const std::string before = State(h);
  ASSERT_EQ(h.Map(att), Value::Ok());
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, DetachChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const Value att = h.Attach(buf);
  const std::string before = State(h);
  ASSERT_EQ(h.Detach(att), Value::Ok());
  EXPECT_NE(State(h), before);
}

// Closing an exported buffer's last fd releases it (the freed priv stays).
TEST_P(StateWriterTest, DmaBufReleaseChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const std::string before = State(h);
  ASSERT_EQ(h.Close(buf), Value::Ok());
  ASSERT_TRUE(h.Priv()->freed);
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, ForkChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  h.Read(p, va);
  const std::string before = State(h);
  h.Fork(p);
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, MunmapChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  const std::string before = State(h);
  EXPECT_EQ(h.Munmap(p, va), Value::Ok());
  EXPECT_NE(State(h), before);
}

// munmap of the tail: the vma shrinks (vm_end), nothing else.
TEST_P(StateWriterTest, PartialMunmapChangesState) {
  Harness h(Opts4K());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  const std::string before = State(h);
  EXPECT_EQ(h.Munmap(p, va + 2 * kMiB, 2 * kMiB), Value::Ok());
  ASSERT_EQ(h.mm(p).vmas.size(), 1u);
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, ExitChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  h.MmapBarOk(p, fd, 0);
  const std::string before = State(h);
  EXPECT_EQ(h.Exit(p), Value::Ok());
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, Type1MapChangesState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  h.Read(p, va);
  const std::string before = State(h);
  ASSERT_EQ(h.Run(h.m().OpIommuMap(p, va, 4096, true)).kind, Value::Kind::kHandle);
  EXPECT_NE(State(h), before);
}

TEST_P(StateWriterTest, IommufdMapAndUnmapChangeState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  const std::string before = State(h);
  const Value io = h.Run(h.m().OpIommufdMap(buf));
  ASSERT_EQ(io.kind, Value::Kind::kHandle);
  const std::string mapped = State(h);
  EXPECT_NE(mapped, before);
  EXPECT_EQ(h.Run(h.m().OpIommufdUnmap(io)), Value::Ok());
  EXPECT_NE(State(h), mapped);
}

// The iopt_pages' own flags: area unmapped and destroyed, nothing else.
TEST_P(StateWriterTest, IommufdPagesFlagsChangeState) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const Value buf = h.Export(fd, 0);
  ASSERT_EQ(h.Run(h.m().OpIommufdMap(buf)).kind, Value::Kind::kHandle);
  // Reach into the machine: flip the flags alone and put them back.
  auto& pages = static_cast<iommu::IommufdPages&>(*h.m().attachments()[0].importer_callbacks);
  const std::string before = State(h);
  pages.area_unmapped = true;
  EXPECT_NE(State(h), before);
  pages.area_unmapped = false;
  pages.destroyed = true;
  EXPECT_NE(State(h), before);
  pages.destroyed = false;
  EXPECT_EQ(State(h), before);
}

// ---- locks: the holder and the readers ----

sim::Task<Value> HoldAcrossAPoint(sim::RwSem& lock, bool write, const void* obj) {
  co_await (write ? lock.LockWrite() : lock.LockRead());
  co_await sim::Access(obj, false, "test");
  write ? lock.UnlockWrite() : lock.UnlockRead();
  co_return Value::Ok();
}

void CheckLockShows(bool write) {
  Harness h({.variant = Variant::kDmabuf});
  const int p = h.Process();
  h.Open(p);
  const char obj = 0;
  Interleaving il(h.checker());
  const int t = il.Spawn(HoldAcrossAPoint(h.vdev().memory_lock, write, &obj), "t");
  ASSERT_TRUE(il.Step(t));  // up to the lock
  const std::string before = State(h);
  ASSERT_TRUE(il.Step(t));  // holds it, up to the access
  ASSERT_EQ(h.vdev().memory_lock.write_held(), write);
  EXPECT_NE(State(h), before);
  ASSERT_TRUE(il.Finish(t));
  EXPECT_EQ(State(h), before);
}

TEST(StateWriterLockTest, WriterShows) { CheckLockShows(true); }
TEST(StateWriterLockTest, ReadersShow) { CheckLockShows(false); }

INSTANTIATE_TEST_SUITE_P(Variants, StateWriterTest, ::testing::Values(Variant::kLegacy, Variant::kDmabuf),
                         VariantParamName);

}  // namespace
}  // namespace vfiosim::testing_model
