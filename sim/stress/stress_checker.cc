#include "sim/stress/stress_checker.h"

#include "absl/strings/str_format.h"
#include "model/lock_class.h"
#include "model/vfio/vma_pfn.h"
#include "sim/core/thread.h"

namespace vfiosim::stress {
namespace {

const char* SizeName(int shift) { return shift == 30 ? "1G" : shift == 21 ? "2M" : "4K"; }

bool MemoryOff(const vfio::VfioPciCoreDevice& v) {
  const pci::PciDevice& d = v.pdev();
  return !d.decode_enabled() || !v.memory_enabled() || v.pm_runtime_engaged;
}

}  // namespace

StressChecker::StressChecker(int threads)
    : start_(std::chrono::steady_clock::now()), per_thread_(static_cast<size_t>(threads) + 1) {}

StressChecker::~StressChecker() = default;

void StressChecker::Index(Machine& m) {
  devs_.clear();
  pdevs_.clear();
  privs_.clear();
  dev_privs_.clear();
  lock_dev_.clear();
  absl::flat_hash_map<const void*, int> dev_of, priv_of;
  for (vfio::VfioPciCoreDevice& v : m.vdevs()) {
    const int d = static_cast<int>(devs_.size());
    dev_of[&v] = d;
    dev_of[&v.pdev()] = d;
    lock_dev_[&v.memory_lock] = d;
    devs_.push_back(&v);
    pdevs_.push_back(&v.pdev());
    dev_privs_.emplace_back();
    for (vfio::VfioPciDmaBuf& p : v.privs) {
      priv_of[&p] = static_cast<int>(privs_.size());
      dev_privs_.back().push_back(static_cast<int>(privs_.size()));
      privs_.push_back(&p);
    }
  }
  dev_live_ = std::make_unique<Live[]>(devs_.size());
  priv_live_ = std::make_unique<Live[]>(privs_.size() + 1);
  maps_.assign(m.processes().size(), {});
  for (Process& p : m.processes()) {
    for (mm::Vma& vma : p.mm->vmas) {
      MapInfo mi{vma.vm_start, vma.vm_end, -1, -1};
      if (const vfio::VfioPciDmaBuf* priv = vfio::vma_to_dmabuf(vma)) {
        mi.priv = priv_of.at(priv);
        mi.dev = dev_of.at(priv->orig_vdev);
      } else {
        mi.dev = dev_of.at(vfio::vma_to_vdev(vma));
      }
      maps_[static_cast<size_t>(p.mm->id)].push_back(mi);
    }
  }
}

const StressChecker::MapInfo* StressChecker::Find(int mm, uint64_t va) const {
  if (mm < 0 || static_cast<size_t>(mm) >= maps_.size()) return nullptr;
  for (const MapInfo& mi : maps_[static_cast<size_t>(mm)])
    if (va >= mi.start && va < mi.end) return &mi;
  return nullptr;
}

StressChecker::ThreadCounters& StressChecker::Mine() {
  sim::Thread* t = sim::Thread::current;
  size_t i = t && t->id() >= 0 ? static_cast<size_t>(t->id()) : per_thread_.size() - 1;
  if (i >= per_thread_.size()) i = per_thread_.size() - 1;
  return per_thread_[i];
}

void StressChecker::Report(sim::Invariant inv, std::string message) {
  std::lock_guard<std::mutex> l(mu_);
  if (violation_) return;
  sim::Thread* t = sim::Thread::current;
  violation_ = Violation{inv, std::move(message), t ? t->name() : "main",
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count()};
  failed_.store(true);
}

std::optional<Violation> StressChecker::violation() const {
  std::lock_guard<std::mutex> l(mu_);
  return violation_;
}

void StressChecker::OnLeafInstalled(const mm::Mm& mm, const mm::Vma& vma, const mm::Leaf& leaf) {
  ThreadCounters& c = Mine();
  c.install_events++;
  c.last_install_shift = leaf.shift;
  c.installs[static_cast<size_t>(LeafIndex(leaf.shift))]++;
  const MapInfo* mi = Find(mm.id, leaf.va >= vma.vm_start ? leaf.va : vma.vm_start);
  if (!mi) {
    Report(sim::Invariant::kPfnOutOfRange,
           absl::StrFormat("%s: %s leaf at va 0x%x in no mapping set up before the run", mm.name,
                           SizeName(leaf.shift), leaf.va));
    return;
  }
  dev_live_[mi->dev].n.fetch_add(1, std::memory_order_relaxed);
  if (mi->priv >= 0) priv_live_[mi->priv].n.fetch_add(1, std::memory_order_relaxed);
  // What the mapping (set up before the run: `vma` is mi's) says the leaf must map.
  const uint64_t pages = leaf.size() >> 12;
  const vfio::LeafPfn want = vfio::vfio_pci_leaf_pfn(vma, leaf.va, leaf.size());
  const std::optional<uint64_t> expected = want.pfn;
  const bool window_ok = leaf.va >= mi->start && leaf.end() <= mi->end && want.in_one_range;
  const pci::PciDevice& dev = *pdevs_[static_cast<size_t>(mi->dev)];
  const auto first = dev.Decode(leaf.pfn << 12);
  const auto last = dev.Decode(((leaf.pfn + pages) << 12) - 1);
  if (leaf.pfn & (pages - 1)) {
    Report(sim::Invariant::kPfnOutOfRange,
           absl::StrFormat("%s: %s leaf at va 0x%x maps pfn 0x%x, not aligned to its size", mm.name,
                           SizeName(leaf.shift), leaf.va, leaf.pfn));
  } else if (!first || !last || first->first != last->first) {
    Report(sim::Invariant::kPfnOutOfRange,
           absl::StrFormat("%s: %s leaf at va 0x%x maps pfn 0x%x..0x%x, outside the BAR", mm.name,
                           SizeName(leaf.shift), leaf.va, leaf.pfn, leaf.pfn + pages - 1));
  } else if (!window_ok) {
    Report(sim::Invariant::kPfnOutOfRange,
           absl::StrFormat("%s: %s leaf at va 0x%x spills outside its mapping [0x%x, 0x%x)", mm.name,
                           SizeName(leaf.shift), leaf.va, mi->start, mi->end));
  } else if (expected && *expected != leaf.pfn) {
    Report(sim::Invariant::kPfnOutOfRange,
           absl::StrFormat("%s: %s leaf at va 0x%x maps pfn 0x%x, but the mapping says pfn 0x%x", mm.name,
                           SizeName(leaf.shift), leaf.va, leaf.pfn, *expected));
  }
}

void StressChecker::OnLeafZapped(const mm::Mm& mm, const mm::Leaf& leaf) {
  Mine().zapped++;
  const MapInfo* mi = Find(mm.id, leaf.va);
  if (!mi) {
    // A huge leaf may start below its vma (huge-fault-no-range-check mutant).
    mi = Find(mm.id, leaf.end() - 1);
    if (!mi) return;
  }
  dev_live_[mi->dev].n.fetch_sub(1, std::memory_order_relaxed);
  if (mi->priv >= 0) priv_live_[mi->priv].n.fetch_sub(1, std::memory_order_relaxed);
}

void StressChecker::OnMmioAccess(const pci::PciDevice& dev, int bar, uint64_t offset, const char* who) {
  const uint16_t command = dev.command.load(std::memory_order_relaxed);
  const pci::PowerState power = dev.power.load(std::memory_order_relaxed);
  const bool in_reset = dev.in_reset.load(std::memory_order_relaxed);
  if ((command & pci::kCommandMemory) && power == pci::PowerState::kD0 && !in_reset) return;
  const char* why = in_reset ? "in reset"
                    : power != pci::PowerState::kD0 ? "in D3hot/low power"
                                                    : "memory decode off (PCI_COMMAND.MEM=0)";
  Report(sim::Invariant::kMmioWhileDisabled,
         absl::StrFormat("%s access reached %s BAR%d+0x%x while the device is %s", who, dev.name(), bar, offset, why));
}

void StressChecker::OnImporterAfterMove(const dmabuf::Attachment& att) {
  Report(sim::Invariant::kImporterAfterMove,
         absl::StrFormat("attachment%d DMAs through a mapping move_notify invalidated", att.id));
}

void StressChecker::OnUseAfterFree(const char* what) {
  Report(sim::Invariant::kUseAfterFree, absl::StrFormat("access to a released %s", what));
}

void StressChecker::OnLockAcquired(sim::Thread* t, sim::LockBase* l, bool) {
  const int b = l->cls();
  for (size_t i = 0; i + 1 < t->held.size(); ++i) {
    const int a = t->held[i].lock->cls();
    if (a == b) continue;
    const uint32_t bit = 1u << b;
    if (lock_rows_[static_cast<size_t>(a)].load(std::memory_order_relaxed) & bit) continue;
    // Does b already reach a?
    uint32_t seen = 0, frontier = 1u << b;
    bool cycle = false;
    while (frontier) {
      const int x = __builtin_ctz(frontier);
      frontier &= frontier - 1;
      if (x == a) {
        cycle = true;
        break;
      }
      if (seen & (1u << x)) continue;
      seen |= 1u << x;
      frontier |= lock_rows_[static_cast<size_t>(x)].load(std::memory_order_relaxed) & ~seen;
    }
    if (cycle)
      Report(sim::Invariant::kLockOrder,
             absl::StrFormat("%s taken while holding %s, but %s was taken before %s earlier in this run",
                             l->cls_name(),
                             t->held[i].lock->cls_name(),
                             t->held[i].lock->cls_name(),
                             l->cls_name()));
    lock_rows_[static_cast<size_t>(a)].fetch_or(bit, std::memory_order_relaxed);
  }
}

void StressChecker::OnLockReleased(sim::Thread*, sim::LockBase* l, bool write) {
  // Called before the real unlock: the releasing thread still holds it.
  if (!write || l->cls() != static_cast<int>(LockClass::kMemoryLock)) return;
  auto it = lock_dev_.find(l);
  if (it != lock_dev_.end()) CheckDevice(it->second);
}

void StressChecker::CheckDevice(int d) {
  const vfio::VfioPciCoreDevice& v = *devs_[static_cast<size_t>(d)];
  const int64_t live = dev_live_[d].n.load(std::memory_order_relaxed);
  if (live > 0 && MemoryOff(v)) {
    const pci::PciDevice& pd = v.pdev();
    Report(sim::Invariant::kStalePte,
           absl::StrFormat("%d leaf(s) still map %s BARs when memory_lock is released, and its memory is %s", live,
                           pd.name(),
                           pd.in_reset ? "in reset"
                           : (pd.power != pci::PowerState::kD0 || v.pm_runtime_engaged) ? "in D3/low power"
                                                                                     : "disabled"));
    return;
  }
  for (int pi : dev_privs_[static_cast<size_t>(d)]) {
    const vfio::VfioPciDmaBuf& p = *privs_[static_cast<size_t>(pi)];
    const int64_t n = priv_live_[pi].n.load(std::memory_order_relaxed);
    if (n > 0 && p.revoked()) {
      Report(sim::Invariant::kStalePte,
             absl::StrFormat("%d leaf(s) still map dmabuf%d when memory_lock is released, and it is revoked", n,
                             p.id));
      return;
    }
  }
}

void StressChecker::FinalCheck(Machine& m) {
  std::vector<int64_t> dev_seen(devs_.size()), priv_seen(privs_.size());
  for (Process& p : m.processes()) {
    if (p.exited) continue;
    const int mmid = p.mm->id;
    p.mm->pt.ForEachLeaf(0, ~uint64_t{0}, [&](const mm::Leaf& leaf) {
      const MapInfo* mi = Find(mmid, leaf.va);
      if (!mi) mi = Find(mmid, leaf.end() - 1);
      if (!mi) {
        Report(sim::Invariant::kPfnOutOfRange,
               absl::StrFormat("final scan: %s leaf at va 0x%x of %s is in no mapping", SizeName(leaf.shift), leaf.va,
                               p.mm->name));
        return;
      }
      dev_seen[static_cast<size_t>(mi->dev)]++;
      if (mi->priv >= 0) priv_seen[static_cast<size_t>(mi->priv)]++;
      const vfio::VfioPciCoreDevice& v = *devs_[static_cast<size_t>(mi->dev)];
      if (MemoryOff(v))
        Report(sim::Invariant::kStalePte,
               absl::StrFormat("final scan: %s leaf at va 0x%x of %s maps %s, whose memory is off",
                               SizeName(leaf.shift), leaf.va, p.mm->name, v.name()));
      else if (mi->priv >= 0 && privs_[static_cast<size_t>(mi->priv)]->revoked())
        Report(sim::Invariant::kStalePte,
               absl::StrFormat("final scan: %s leaf at va 0x%x of %s maps dmabuf%d, which is revoked",
                               SizeName(leaf.shift), leaf.va, p.mm->name, privs_[static_cast<size_t>(mi->priv)]->id));
    });
  }
  for (size_t d = 0; d < devs_.size(); ++d)
    if (dev_seen[d] != dev_live_[d].n.load())
      Report(sim::Invariant::kStalePte,
             absl::StrFormat("final scan: %d leaf(s) map %s but insert/zap events count %d (an event was lost)",
                             dev_seen[d], devs_[d]->name(), dev_live_[d].n.load()));
  for (size_t i = 0; i < privs_.size(); ++i)
    if (priv_seen[i] != priv_live_[i].n.load())
      Report(sim::Invariant::kStalePte,
             absl::StrFormat("final scan: %d leaf(s) map dmabuf%d but insert/zap events count %d", priv_seen[i],
                             privs_[i]->id, priv_live_[i].n.load()));
}

}  // namespace vfiosim::stress
