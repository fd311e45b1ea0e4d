#include "sim/check/checker.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "model/vfio/vma_pfn.h"
#include "sim/core/thread.h"

namespace vfiosim::sim {

bool LockGraph::Reaches(int a, int b) const {
  uint32_t seen = 0, frontier = 1u << a;
  while (frontier) {
    const int x = __builtin_ctz(frontier);
    frontier &= frontier - 1;
    if (x == b) return true;
    if (seen & (1u << x)) continue;
    seen |= 1u << x;
    frontier |= rows_[x] & ~seen;
  }
  return false;
}

std::vector<std::pair<int, int>> LockGraph::Edges() const {
  std::vector<std::pair<int, int>> out;
  for (int a = 0; a < kN; ++a)
    for (int b = 0; b < kN; ++b)
      if (Has(a, b)) out.emplace_back(a, b);
  return out;
}

void Checker::Report(Invariant inv, std::string message) {
  if (!violation_) violation_ = Violation{inv, std::move(message)};
}

void Checker::Event(TraceEvent::Kind k, std::string text) {
  if (!record_) return;
  Thread* t = Thread::current;
  events_.push_back(TraceEvent{k, t ? t->id() : -1, std::move(text)});
}

void Checker::OnLeafInstalled(const mm::Mm& mm, const mm::Vma& vma, const mm::Leaf& leaf) {
  const char* size = leaf.shift == 30 ? "1G" : leaf.shift == 21 ? "2M" : "4K";
  if (record_) Event(TraceEvent::Kind::kPteInstalled,
        absl::StrFormat("%s: %s leaf va=0x%x -> pfn=0x%x", mm.name, size, leaf.va, leaf.pfn));
  LeafInfo info{nullptr, nullptr};
  const uint64_t pages = leaf.size() >> 12;
  // What the VMA says the first page of the leaf must map.
  const vfio::LeafPfn want = vfio::vfio_pci_leaf_pfn(vma, leaf.va, leaf.size());
  const std::optional<uint64_t> expected = want.pfn;
  const bool window_ok = leaf.va >= vma.vm_start && leaf.end() <= vma.vm_end && want.in_one_range;
  info.priv = vfio::vma_to_dmabuf(vma);
  std::optional<Machine::Decoded> first = machine_->DecodePhys(leaf.pfn << 12);
  std::optional<Machine::Decoded> last = machine_->DecodePhys(((leaf.pfn + pages) << 12) - 1);
  if (first) info.dev = first->dev;
  const uint64_t k = Key(mm.id, leaf.va);
  leaves_[k] = info;
  if (info.dev) live_[info.dev]++;
  if (info.priv) live_[info.priv]++;
  if (leaf.pfn & (pages - 1)) {
    Report(Invariant::kPfnOutOfRange,
           absl::StrFormat("%s leaf at va 0x%x maps pfn 0x%x, not aligned to its size", size, leaf.va, leaf.pfn));
  } else if (!first || !last || first->dev != last->dev || first->bar != last->bar) {
    Report(Invariant::kPfnOutOfRange,
           absl::StrFormat("%s leaf at va 0x%x maps pfn 0x%x..0x%x, outside the BAR", size, leaf.va, leaf.pfn,
                           leaf.pfn + pages - 1));
  } else if (!window_ok) {
    Report(Invariant::kPfnOutOfRange,
           absl::StrFormat("%s leaf at va 0x%x spills outside its mapping [0x%x, 0x%x)%s", size, leaf.va,
                           vma.vm_start, vma.vm_end, info.priv ? " or the dma-buf range" : ""));
  } else if (expected && *expected != leaf.pfn) {
    Report(Invariant::kPfnOutOfRange,
           absl::StrFormat("%s leaf at va 0x%x maps pfn 0x%x, but the mapping says pfn 0x%x", size, leaf.va,
                           leaf.pfn, *expected));
  }
}

void Checker::OnLeafZapped(const mm::Mm& mm, const mm::Leaf& leaf) {
  if (record_) Event(TraceEvent::Kind::kPteZapped,
        absl::StrFormat("%s: zap %s leaf va=0x%x", mm.name, leaf.shift == 30 ? "1G" : leaf.shift == 21 ? "2M" : "4K",
                        leaf.va));
  auto it = leaves_.find(Key(mm.id, leaf.va));
  if (it == leaves_.end()) return;
  if (it->second.dev) live_[it->second.dev]--;
  if (it->second.priv) live_[it->second.priv]--;
  leaves_.erase(it);
}

void Checker::OnMmioAccess(const pci::PciDevice& dev, int bar, uint64_t offset, const char* who) {
  ++accesses_;
  if (record_) Event(TraceEvent::Kind::kMmio, absl::StrFormat("%s access %s BAR%d+0x%x", who, dev.name(), bar, offset));
  if (!dev.decode_enabled()) {
    const char* why = dev.in_reset ? "in reset"
                      : dev.power != pci::PowerState::kD0 ? "in D3hot/low power"
                                                         : "memory decode off (PCI_COMMAND.MEM=0)";
    Report(Invariant::kMmioWhileDisabled,
           absl::StrFormat("%s access reached %s BAR%d+0x%x while the device is %s", who, dev.name(), bar, offset,
                           why));
  }
}

void Checker::OnImporterAfterMove(const dmabuf::Attachment& att) {
  Report(Invariant::kImporterAfterMove,
         absl::StrFormat("attachment%d DMAs through a mapping move_notify invalidated", att.id));
}

void Checker::OnUseAfterFree(const char* what) {
  Report(Invariant::kUseAfterFree, absl::StrFormat("access to a released %s", what));
}

void Checker::OnRegionInfo(const pci::PciDevice& dev, int bar, bool mmap) {
  info_mmap_[(static_cast<uint64_t>(dev.id()) << 8) | static_cast<uint64_t>(bar)] = mmap;
}

void Checker::OnType1Pfn(const mm::Leaf& leaf, bool iommu_write) {
  if (iommu_write && !leaf.writable)
    Report(Invariant::kIommuProtEscalation,
           absl::StrFormat("type1 MAP_DMA with IOMMU_WRITE took pfn 0x%x of the read-only leaf at 0x%x: the peer "
                           "may write what the process may only read",
                           leaf.pfn, leaf.va));
}

void Checker::OnBarMmapResult(const pci::PciDevice& dev, int bar, int err) {
  if (err == 0 || err == 11 /*EAGAIN*/) return;
  auto it = info_mmap_.find((static_cast<uint64_t>(dev.id()) << 8) | static_cast<uint64_t>(bar));
  if (it != info_mmap_.end() && it->second)
    Report(Invariant::kMmapFlagLies,
           absl::StrFormat("region info advertised VFIO_REGION_INFO_FLAG_MMAP for %s BAR%d, but mmap failed "
                           "with %s",
                           dev.name(), bar, std::string(ErrnoName(err))));
}

void Checker::OnLockAcquired(Thread* t, LockBase* l, bool write) {
  if (record_) Event(TraceEvent::Kind::kLockAcquired,
        absl::StrFormat("%s %s(%s)", write ? "lock" : "lock_read", l->cls_name(),
                        std::string(l->instance())));
  // lockdep's "possible recursive locking detected": a reader that takes an
  // rwsem it already holds waits behind a writer queued in between (the
  // kernel's rwsem prefers a waiting writer; kernel/locking/rwsem.c), and the
  // writer waits for it.
  for (size_t i = 0; i + 1 < t->held.size(); ++i)
    if (t->held[i].lock == l)
      Report(Invariant::kDeadlock,
             absl::StrFormat("%s(%s) taken for read by %s, which holds it already: a writer queued in between "
                             "would wait for it and it for the writer (possible recursive locking)",
                             l->cls_name(), std::string(l->instance()), t->name()));
  const int b = l->cls();
  for (size_t i = 0; i + 1 < t->held.size(); ++i) {
    const int a = t->held[i].lock->cls();
    if (a == b || graph_.Has(a, b)) continue;
    // The new order is a -> b (b taken while holding a); an earlier path
    // b ->* a makes the two orders a cycle.
    if (graph_.Reaches(b, a)) {
      const std::string na(t->held[i].lock->cls_name()), nb(l->cls_name());
      Report(Invariant::kLockOrder,
             absl::StrFormat("%s taken while holding %s (order %s -> %s), but earlier in this run the order was "
                             "%s -> %s",
                             nb, na, na, nb, nb, na));
    }
    graph_.Add(a, b);
  }
}

void Checker::OnLockReleased(Thread*, LockBase* l, bool write) {
  if (record_) Event(TraceEvent::Kind::kLockReleased,
        absl::StrFormat("%s %s(%s)", write ? "unlock" : "unlock_read", l->cls_name(),
                        std::string(l->instance())));
}

void Checker::AfterStep() {
  if (violation_ || !machine_) return;
  for (vfio::VfioPciCoreDevice& v : machine_->vdevs()) {
    if (v.memory_lock_write_held()) continue;
    auto it = live_.find(&v.pdev());
    if (it != live_.end() && it->second > 0) {
      const pci::PciDevice& d = v.pdev();
      if (!d.decode_enabled() || !v.memory_enabled() || v.pm_runtime_engaged) {
        Report(Invariant::kStalePte,
               absl::StrFormat("%d leaf(s) still map %s BARs, whose memory is %s", it->second, d.name(),
                               d.in_reset ? "in reset"
                               : (d.power != pci::PowerState::kD0 || v.pm_runtime_engaged) ? "in D3/low power"
                                                                                         : "disabled"));
        return;
      }
    }
    for (vfio::VfioPciDmaBuf& p : v.privs) {
      if (!p.revoked()) continue;
      auto pit = live_.find(&p);
      if (pit != live_.end() && pit->second > 0) {
        Report(Invariant::kStalePte,
               absl::StrFormat("%d leaf(s) still map dmabuf%d, which is revoked", pit->second, p.id));
        return;
      }
    }
  }
}

void Checker::AtEnd() {
  if (violation_ || !machine_ || !machine_->AllClosedAndExited()) return;
  std::vector<std::string> live = machine_->LiveObjects();
  if (!live.empty()) {
    std::string msg = "after every fd was closed and every process exited, still alive:";
    for (const std::string& s : live) msg += " " + s + ";";
    msg.pop_back();
    Report(Invariant::kLeak, msg);
  }
}

void Checker::WriteState(StateWriter& w) const {
  // Hash maps in key order: absl's iteration order is salted per process.
  std::vector<std::pair<uint64_t, LeafInfo>> leaves(leaves_.begin(), leaves_.end());
  std::sort(leaves.begin(), leaves.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  w.U64(leaves.size());
  for (const auto& [k, info] : leaves) {
    w.U64(k);
    w.Ref(info.dev);
    w.Ref(info.priv);
  }
  std::vector<std::pair<uint64_t, bool>> info(info_mmap_.begin(), info_mmap_.end());
  std::sort(info.begin(), info.end());
  w.U64(info.size());
  for (const auto& [k, mmap] : info) {
    w.U64(k);
    w.Bool(mmap);
  }
  graph_.WriteState(w);
}

}  // namespace vfiosim::sim
