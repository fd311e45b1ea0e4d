// Machine::WriteState() (model/machine_state.cc): the canonical bytes of a
// Machine's state that the stateful search keys its visited table on. Equal
// machines write equal bytes (also when they got there by different orders),
// and each kind of change is visible in the bytes: a field left out would
// make the search merge two states that behave differently.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/machine.h"
#include "model/vfio/bar_mapping.h"
#include "sim/core/state_writer.h"
#include "sim/core/sync.h"
#include "tests/model/model_test_harness.h"

namespace vfiosim::testing_model {
namespace {

// The whole state: what threads read, then the rest (the locks' states).
std::string State(Harness& h) {
  sim::StateWriter w;
  h.m().WriteState(w);
  return std::to_string(w.bytes().size()) + ":" + w.bytes() + w.rest();
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

// ---- one field at a time ----

// Sets a field, expects the bytes to change, puts it back, expects them equal
// again: each field of the list on its own (the name says which one failed).
// A Set() of a vector element keeps a pointer to it: list it before a Push()
// onto the same vector.
struct Flip {
  std::string name;
  std::function<void()> set, reset;
};
template <typename T>
Flip Set(std::string name, T& field, T value) {
  T* f = &field;
  auto old = std::make_shared<T>(field);
  return Flip{std::move(name), [f, value] { *f = value; }, [f, old] { *f = *old; }};
}
template <typename T>
Flip SetAtomic(std::string name, std::atomic<T>& field, T value) {
  std::atomic<T>* f = &field;
  const T old = field.load();
  return Flip{std::move(name), [f, value] { f->store(value); }, [f, old] { f->store(old); }};
}
template <typename C>
Flip Push(std::string name, C& container, typename C::value_type v) {
  C* c = &container;
  return Flip{std::move(name), [c, v] { c->push_back(v); }, [c] { c->pop_back(); }};
}
void ExpectEachFlipShows(Harness& h, const std::vector<Flip>& flips) {
  const std::string base = State(h);
  for (const Flip& f : flips) {
    f.set();
    EXPECT_TRUE(State(h) != base) << f.name << " is not written";
    f.reset();
    ASSERT_TRUE(State(h) == base) << f.name << ": not put back";
  }
}

// Two settings of one field that keep everything else, containers' sizes
// included, the same: the bytes of one against the other's.
void ExpectSettingsDiffer(Harness& h, const std::string& name, const std::function<void()>& a,
                          const std::function<void()>& b, const std::function<void()>& reset) {
  const std::string base = State(h);
  a();
  const std::string sa = State(h);
  reset();
  b();
  const std::string sb = State(h);
  reset();
  EXPECT_TRUE(sa != sb) << name << " is not written";
  ASSERT_TRUE(State(h) == base) << name << ": not put back";
}

// A machine with a bit of everything: a BAR mmap (in the dmabuf variant a
// dma-buf of its own) with a leaf, an export with a mapped attachment, an
// iommufd mapping and a type1 mapping.
struct Rich {
  explicit Rich(HarnessOptions o) : h(std::move(o)) {
    p = h.Process();
    fd = h.Open(p);
    va = h.MmapBarOk(p, fd, 0);
    EXPECT_EQ(h.Read(p, va), Value::Int(0));
    buf = h.Export(fd, 0);
    att = h.Attach(buf);
    EXPECT_EQ(h.Map(att), Value::Ok());
    io = h.Run(h.m().OpIommufdMap(buf));
    EXPECT_EQ(io.kind, Value::Kind::kHandle);
    type1 = h.Run(h.m().OpIommuMap(p, va, 4096, true));
    EXPECT_EQ(type1.kind, Value::Kind::kHandle);
  }
  Harness h;
  int p = 0;
  Value fd, buf, att, io, type1;
  uint64_t va = 0;
};

TEST_P(StateWriterTest, EachVmaFieldShows) {
  Rich r(Opts());
  mm::Vma& v = *r.h.mm(r.p).vmas.begin();
  mm::File* other = r.h.vdev().files.empty() ? nullptr : &r.h.vdev().files.front();
  ExpectEachFlipShows(r.h, {
                               Set("vm_end", v.vm_end, v.vm_end + 4096),
                               Set("vm_pgoff", v.vm_pgoff, v.vm_pgoff + 1),
                               Set("writable", v.writable, !v.writable),
                               Set("shared", v.shared, !v.shared),
                               Set("pfnmap", v.pfnmap, !v.pfnmap),
                               Set("vm_file", v.vm_file, v.vm_file == other ? nullptr : other),
                               Set<const mm::VmOps*>("vm_ops", v.vm_ops, nullptr),
                               Set<const mm::VmOps*>("vm_ops kind", v.vm_ops,
                                                     v.vm_ops == &vfio::LegacyVmOps() ? &vfio::DmabufVmOps()
                                                                                      : &vfio::LegacyVmOps()),
                               Set<void*>("vm_private_data", v.vm_private_data, nullptr),
                               Set<mm::Mm*>("vm_mm", v.mm, nullptr),
                               Set("id", v.id, v.id + 100),
                           });
}

TEST_P(StateWriterTest, EachMmFieldShows) {
  Rich r(Opts());
  mm::Mm& m = r.h.mm(r.p);
  ExpectEachFlipShows(r.h, {
                               Set("exited", m.exited, true),
                               Set("next_vma_id", m.next_vma_id, m.next_vma_id + 1),
                           });
}

TEST_P(StateWriterTest, EachPciDeviceFieldShows) {
  Rich r(Opts());
  pci::PciDevice& d = r.h.pdev();
  auto& mem = d.bars[0].mem;
  ExpectEachFlipShows(r.h, {
                               SetAtomic<uint16_t>("command", d.command, 0),
                               SetAtomic("power", d.power, pci::PowerState::kD3hot),
                               SetAtomic("in_reset", d.in_reset, true),
                               Flip{"bar memory", [&] { mem[0x100] = 5; }, [&] { mem.erase(0x100); }},
                           });
}

TEST_P(StateWriterTest, EachVfioDeviceFieldShows) {
  Rich r(Opts());
  vfio::VfioPciCoreDevice& v = r.h.vdev();
  mm::Vma* vma = &*r.h.mm(r.p).vmas.begin();
  ExpectEachFlipShows(r.h, {
                               Set("open_count", v.open_count, v.open_count + 1),
                               Set<uint16_t>("vconfig_command", v.vconfig_command, 0),
                               Set("pm_runtime_engaged", v.pm_runtime_engaged, true),
                               Set("bar_mmap_supported", v.bar_mmap_supported[1], true),
                               SetAtomic("registrations", v.registrations, v.registrations + 1),
                               Set<vfio::VfioPciDmaBuf*>("dmabufs entry", v.dmabufs.front(), nullptr),
                               Push("dmabufs", v.dmabufs, nullptr),
                               Flip{"dmabufs order", [&] { v.dmabufs.push_front(nullptr); },
                                    [&] { v.dmabufs.pop_front(); }},
                               Push("deferred_release", v.deferred_release, v.privs.front().dmabuf),
                               Push("vma_list", v.vma_list, vma),
                               Flip{"device file f_count", [&] { v.files.front().get_file(); },
                                    [&] { v.files.front().put_pinned(); }},
                               Set("next_dmabuf_id", *v.next_dmabuf_id, *v.next_dmabuf_id + 1),
                           });
}

TEST_P(StateWriterTest, EachVfioDeviceListEntryShows) {
  Rich r(Opts());
  vfio::VfioPciCoreDevice& v = r.h.vdev();
  mm::File* devfile = &v.files.front();
  mm::File* buffile = v.privs.front().dmabuf;
  const mm::Vma* vma = &*r.h.mm(r.p).vmas.begin();
  ExpectSettingsDiffer(
      r.h, "deferred_release entry", [&] { v.deferred_release.push_back(devfile); },
      [&] { v.deferred_release.push_back(buffile); }, [&] { v.deferred_release.clear(); });
  ExpectSettingsDiffer(
      r.h, "vma_list entry", [&] { v.vma_list.push_back(vma); }, [&] { v.vma_list.push_back(nullptr); },
      [&] { v.vma_list.clear(); });
}

TEST_P(StateWriterTest, NofileValueShows) {
  Harness h(Opts());
  Process& pr = h.m().processes()[h.Process()];
  ExpectSettingsDiffer(
      h, "nofile value", [&] { pr.nofile = 5; }, [&] { pr.nofile = 6; }, [&] { pr.nofile.reset(); });
}

TEST_P(StateWriterTest, EachDmaBufPrivFieldShows) {
  Rich r(Opts());
  vfio::VfioPciDmaBuf& priv = *r.h.Priv();  // the export
  mm::File* devfile = &r.h.vdev().files.front();
  ExpectEachFlipShows(
      r.h, {
               Set("id", priv.id, priv.id + 10),
               Set<dmabuf::DmaBuf*>("dmabuf", priv.dmabuf, nullptr),
               Set<vfio::VfioPciCoreDevice*>("vdev", priv.vdev, nullptr),
               Set<vfio::VfioPciCoreDevice*>("orig_vdev", priv.orig_vdev, nullptr),
               Set("bar", priv.bar, 1),
               Set("phys_vec paddr", priv.phys_vec[0].paddr, priv.phys_vec[0].paddr + 4096),
               Push("phys_vec", priv.phys_vec, dmabuf::PhysRange{0, 4096}),
               Set("size", priv.size, priv.size + 4096),
               Set("on_list", priv.on_list, !priv.on_list),
               Set("from_mmap", priv.from_mmap, !priv.from_mmap),
               Set("device_file", priv.device_file, priv.device_file == devfile ? nullptr : devfile),
               Set("freed", priv.freed, true),
               Flip{"status", [&] { priv.set_status(vfio::RevokeStatus::kTempRevoked); },
                    [&] { priv.set_status(vfio::RevokeStatus::kOk); }},
               Set<const char*>("revoke_why", priv.revoke_why, "something else"),
           });
}

TEST_P(StateWriterTest, EachDmaBufAndFileFieldShows) {
  Rich r(Opts());
  dmabuf::DmaBuf& b = *r.h.Priv()->dmabuf;
  const uint64_t size = b.size();
  ExpectEachFlipShows(r.h, {
                               Flip{"size", [&] { b.set_size(size + 4096); }, [&] { b.set_size(size); }},
                               Push<std::vector<dmabuf::Attachment*>>("attachments", b.attachments, nullptr),
                               Flip{"attachments order",
                                    [&] { std::reverse(b.attachments.begin(), b.attachments.end()); },
                                    [&] { std::reverse(b.attachments.begin(), b.attachments.end()); }},
                               Flip{"f_count", [&] { b.get_file(); }, [&] { b.put_pinned(); }},
                           });
}

TEST_P(StateWriterTest, EachAttachmentFieldShows) {
  Rich r(Opts());
  dmabuf::Attachment& a = r.h.m().attachments()[0];
  ASSERT_TRUE(a.mapped);
  ExpectEachFlipShows(r.h, {
                               Set("id", a.id, a.id + 10),
                               Set<dmabuf::DmaBuf*>("dmabuf", a.dmabuf, nullptr),
                               Set("dynamic", a.dynamic, !a.dynamic),
                               Set("peer2peer", a.peer2peer, !a.peer2peer),
                               Set("attached", a.attached, !a.attached),
                               Set("mapped", a.mapped, !a.mapped),
                               Set("sgt len", a.sgt[0].len, a.sgt[0].len + 4096),
                               Push("sgt", a.sgt, dmabuf::PhysRange{0, 4096}),
                               Set("invalidated", a.invalidated, !a.invalidated),
                               Set("ignores_move", a.ignores_move, !a.ignores_move),
                               Set<dmabuf::DmaBufAttachOps*>("importer_callbacks", a.importer_callbacks,
                                                              r.h.m().attachments()[1].importer_callbacks),
                           });
}

TEST_P(StateWriterTest, EachProcessAndIovaFieldShows) {
  Rich r(Opts());
  Process& pr = r.h.m().processes()[r.p];
  IovaMapping& t1 = r.h.m().iovas()[r.type1.v];
  IovaMapping& fd = r.h.m().iovas()[r.io.v];
  ExpectEachFlipShows(r.h, {
                               Set("exited", pr.exited, true),
                               Set("implicit", pr.implicit, !pr.implicit),
                               Set<std::optional<uint64_t>>("nofile", pr.nofile, 5),
                               Set<mm::File*>("fd slot", pr.fds[0], nullptr),
                               Push<std::vector<mm::File*>>("fds", pr.fds, nullptr),
                               Set("iova id", t1.id, t1.id + 10),
                               Set("iova type1", t1.type1, false),
                               Set("iova write", t1.write, false),
                               Push("iova ranges", t1.ranges, dmabuf::PhysRange{0, 4096}),
                               Set<dmabuf::Attachment*>("iova att", fd.att, nullptr),
                               Set<iommu::IommufdPages*>("iova pages", fd.pages, nullptr),
                               Set<const pci::PciDevice*>("iova target", t1.target, nullptr),
                           });
}

// ---- the page table's own state, through its interface ----

// The same leaf slot with another pfn.
TEST_P(StateWriterTest, LeafPfnShows) {
  Harness a(Opts()), b(Opts());
  const int pa = a.Process(), pb = b.Process();
  ASSERT_EQ(a.mm(pa).pt.Insert(1 * kGiB, kPteShift, 0x100, true), mm::InsertResult::kInserted);
  ASSERT_EQ(b.mm(pb).pt.Insert(1 * kGiB, kPteShift, 0x100, true), mm::InsertResult::kInserted);
  EXPECT_EQ(State(a), State(b));
  ASSERT_EQ(a.mm(pa).pt.Insert(2 * kGiB, kPteShift, 0x200, true), mm::InsertResult::kInserted);
  ASSERT_EQ(b.mm(pb).pt.Insert(2 * kGiB, kPteShift, 0x201, true), mm::InsertResult::kInserted);
  EXPECT_NE(State(a), State(b));
}

// An emptied table still occupies its slot (pmd_none() is false).
TEST_P(StateWriterTest, EmptiedTableShows) {
  Harness a(Opts()), b(Opts());
  const int pa = a.Process();
  b.Process();
  mm::PageTable& pt = a.mm(pa).pt;
  ASSERT_EQ(pt.Insert(1 * kGiB, kPteShift, 0x100, true), mm::InsertResult::kInserted);
  pt.Zap(0, 2 * kGiB, [](const mm::Leaf&) {});
  ASSERT_EQ(pt.present_leaves(), 0u);
  EXPECT_NE(State(a), State(b));
}

// Tables released to the pool (reused later without charging the budget).
TEST_P(StateWriterTest, PooledTablesShow) {
  Harness a(Opts()), b(Opts());
  const int pa = a.Process(), pb = b.Process();
  a.mm(pa).pt.set_budget(nullptr);
  b.mm(pb).pt.set_budget(nullptr);
  mm::PageTable& pt = a.mm(pa).pt;
  ASSERT_EQ(pt.Insert(1 * kGiB, kPteShift, 0x100, true), mm::InsertResult::kInserted);
  pt.Zap(0, 2 * kGiB, [](const mm::Leaf&) {});
  pt.FreeEmptyTables(0, 2 * kGiB);
  ASSERT_EQ(pt.table_count(), 1u);  // the root alone, as in b
  EXPECT_NE(State(a), State(b));
}

// The machine's page-table budget: the same tables, charged in one machine
// and not in the other.
TEST_P(StateWriterTest, PageTableBudgetShows) {
  Harness a(Opts()), b(Opts());
  const int pa = a.Process(), pb = b.Process();
  b.mm(pb).pt.set_budget(nullptr);
  for (Harness* h : {&a, &b}) {
    mm::PageTable& pt = h->mm(h == &a ? pa : pb).pt;
    ASSERT_EQ(pt.Insert(1 * kGiB, kPteShift, 0x100, true), mm::InsertResult::kInserted);
  }
  EXPECT_NE(State(a), State(b));
}

// The same pfn in the next slot.
TEST_P(StateWriterTest, LeafSlotShows) {
  Harness a(Opts()), b(Opts());
  const int pa = a.Process(), pb = b.Process();
  ASSERT_EQ(a.mm(pa).pt.Insert(1 * kGiB, kPteShift, 0x100, true), mm::InsertResult::kInserted);
  ASSERT_EQ(b.mm(pb).pt.Insert(1 * kGiB + 4096, kPteShift, 0x100, true), mm::InsertResult::kInserted);
  EXPECT_NE(State(a), State(b));
}

// The same leaf, writable or not.
TEST_P(StateWriterTest, LeafWritableFlagShows) {
  Harness a(Opts()), b(Opts());
  const int pa = a.Process(), pb = b.Process();
  ASSERT_EQ(a.mm(pa).pt.Insert(1 * kGiB, kPteShift, 0x100, true), mm::InsertResult::kInserted);
  ASSERT_EQ(b.mm(pb).pt.Insert(1 * kGiB, kPteShift, 0x100, false), mm::InsertResult::kInserted);
  EXPECT_NE(State(a), State(b));
}

// The i_mmap order (a fork's vma sits right after its parent's): the order
// unmap_mapping_range() zaps in.
TEST_P(StateWriterTest, IMmapOrderShows) {
  Harness h(Opts());
  const int p = h.Process();
  const Value fd = h.Open(p);
  const uint64_t va = h.MmapBarOk(p, fd, 0);
  h.Fork(p);
  mm::Vma& v = *h.mm(p).VmaLookup(va);
  mm::VmaList& l = v.vm_file->f_mapping()->i_mmap;
  ASSERT_EQ(l.size(), 2u);
  ExpectEachFlipShows(h, {Flip{"i_mmap order", [&] { l.reverse(); }, [&] { l.reverse(); }}});
}

// pci_save_state()'s copy of PCI_COMMAND: the same device state otherwise
// (MEM on again after the reset in b).
TEST_P(StateWriterTest, SavedConfigSpaceShows) {
  Harness a(Opts()), b(Opts());
  const Value fa = a.Open(a.Process()), fb = b.Open(b.Process());
  EXPECT_EQ(a.Reset(fa), Value::Ok());
  EXPECT_EQ(b.Command(fb, false), Value::Ok());
  EXPECT_EQ(b.Reset(fb), Value::Ok());
  EXPECT_EQ(b.Command(fb, true), Value::Ok());
  ASSERT_EQ(a.pdev().command.load(), b.pdev().command.load());
  EXPECT_NE(State(a), State(b));
}

// The scenario's fd handles: the same files in the same slots, handed out in
// the other order (b's second open installs its fd first).
TEST_P(StateWriterTest, FdHandleOrderShows) {
  Harness a(Opts()), b(Opts());
  const int a1 = a.Process(), a2 = a.Process();
  a.Open(a1);
  a.Open(a2);
  const int b1 = b.Process(), b2 = b.Process();
  Interleaving il(b.checker());
  const int t1 = il.Spawn(b.m().OpOpen(0, b1), "open1");
  const int t2 = il.Spawn(b.m().OpOpen(0, b2), "open2");
  const auto installs = [](const sim::Thread& t) {
    return t.pending.kind == sim::PendingOp::Kind::kAccess && t.pending.write &&
           std::string(t.pending.what) == "fdtable";
  };
  ASSERT_TRUE(il.RunUntil(t1, installs));  // file 0 created
  ASSERT_TRUE(il.RunUntil(t2, installs));  // file 1 created
  ASSERT_TRUE(il.Finish(t2));              // handle 0: process 2's fd
  ASSERT_TRUE(il.Finish(t1));
  EXPECT_EQ(il.result(t2), Value::Handle(0));
  ASSERT_EQ(b.m().processes()[b1].fds[0], &b.vdev().files[0]);
  EXPECT_NE(State(a), State(b));
}

// ---- the machine's own tables ----

// ---- locks: the holder and the readers ----

sim::Task<Value> HoldAcrossAPoint(sim::RwSem& lock, bool write, const void* obj) {
  co_await (write ? lock.LockWrite() : lock.LockRead());
  co_await sim::Access(obj, false, "test");
  write ? lock.UnlockWrite() : lock.UnlockRead();
  co_return Value::Ok();
}
sim::Task<Value> HoldAcrossAPoint(sim::Mutex& lock, bool, const void* obj) {
  co_await lock.Lock();
  co_await sim::Access(obj, false, "test");
  lock.Unlock();
  co_return Value::Ok();
}

// A thread holds `lock` across a scheduling point: the bytes differ from
// before it took it, and are the same again once it let go.
template <typename L>
void CheckLockShows(Harness& h, L& lock, bool write, const char* name) {
  SCOPED_TRACE(name);
  const char obj = 0;
  Interleaving il(h.checker());
  const int t = il.Spawn(HoldAcrossAPoint(lock, write, &obj), "t");
  ASSERT_TRUE(il.Step(t));  // up to the lock
  const std::string before = State(h);
  ASSERT_TRUE(il.Step(t));  // holds it, up to the access
  EXPECT_TRUE(State(h) != before) << name << (write ? " (writer)" : " (readers)") << " is not written";
  ASSERT_TRUE(il.Finish(t));
  EXPECT_TRUE(State(h) == before);
}

void CheckEveryLockShows(bool write) {
  Rich r({.variant = Variant::kDmabuf});
  vfio::VfioPciCoreDevice& v = r.h.vdev();
  mm::Mm& m = r.h.mm(r.p);
  dmabuf::DmaBuf& buf = *r.h.Priv()->dmabuf;
  CheckLockShows(r.h, v.memory_lock, write, "memory_lock");
  CheckLockShows(r.h, v.inode_mapping.i_mmap_rwsem, write, "inode i_mmap_rwsem");
  CheckLockShows(r.h, m.mmap_lock, write, "mmap_lock");
  CheckLockShows(r.h, m.ptl, write, "ptl");
  CheckLockShows(r.h, buf.mapping.i_mmap_rwsem, write, "dma-buf i_mmap_rwsem");
  if (write) {
    CheckLockShows(r.h, v.dev_set_lock, true, "dev_set->lock");
    CheckLockShows(r.h, buf.resv, true, "dma_resv");
  }
}

TEST(StateWriterLockTest, WriterShows) { CheckEveryLockShows(true); }
TEST(StateWriterLockTest, ReadersShow) { CheckEveryLockShows(false); }

INSTANTIATE_TEST_SUITE_P(Variants, StateWriterTest, ::testing::Values(Variant::kLegacy, Variant::kDmabuf),
                         VariantParamName);

}  // namespace
}  // namespace vfiosim::testing_model
