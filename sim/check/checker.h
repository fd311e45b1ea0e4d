// Checker: the spec's invariants, checked incrementally from model events (PTE
// installed/zapped, MMIO access, lock taken, object released) and, after every
// step, over the few devices and dma-bufs whose state can make a leaf stale.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/lock_class.h"
#include "model/machine.h"
#include "sim/check/invariant.h"
#include "sim/core/driver.h"
#include "sim/core/state_writer.h"
#include "sim/core/sync.h"

namespace vfiosim::sim {

struct Violation {
  Invariant inv;
  std::string message;
};

// Lock-class order edges seen (lockdep's dependency graph), as a bit matrix over
// the model's lock classes (model/lock_class.h; a lock's cls() is its LockClass).
class LockGraph {
 public:
  static constexpr int kN = static_cast<int>(LockClass::kCount);
  static_assert(kN <= 32, "a row is a uint32_t");
  bool Has(int a, int b) const { return (rows_[a] >> b) & 1u; }
  void Add(int a, int b) { rows_[a] |= 1u << b; }
  // Is there a path a ->* b?
  bool Reaches(int a, int b) const;
  void Merge(const LockGraph& o) {
    for (int i = 0; i < kN; ++i) rows_[i] |= o.rows_[i];
  }
  bool empty() const {
    for (uint32_t r : rows_)
      if (r) return false;
    return true;
  }
  std::vector<std::pair<int, int>> Edges() const;
  void WriteState(StateWriter& w) const {
    for (uint32_t r : rows_) w.U64(r);
  }

 private:
  std::array<uint32_t, kN> rows_{};
};

// A model event, kept only when a trace is being recorded.
struct TraceEvent {
  enum class Kind { kLockAcquired, kLockReleased, kPteInstalled, kPteZapped, kMmio, kNote };
  Kind kind;
  int thread;  // -1 when not known
  std::string text;
};

class Checker : public MachineObserver, public LockObserver {
 public:
  explicit Checker(bool record_events) : record_(record_events) {}
  void set_machine(Machine* m) { machine_ = m; }

  // MmObserver
  void OnLeafInstalled(const mm::Mm& mm, const mm::Vma& vma, const mm::Leaf& leaf) override;
  void OnLeafZapped(const mm::Mm& mm, const mm::Leaf& leaf) override;
  // VfioObserver
  void OnMmioAccess(const pci::PciDevice& dev, int bar, uint64_t offset, const char* who) override;
  void OnImporterAfterMove(const dmabuf::Attachment& att) override;
  void OnUseAfterFree(const char* what) override;
  // MachineObserver
  void OnBarMmapResult(const pci::PciDevice& dev, int bar, int err) override;
  void OnRegionInfo(const pci::PciDevice& dev, int bar, bool mmap) override;
  void OnType1Pfn(const mm::Leaf& leaf, bool iommu_write) override;
  // LockObserver
  void OnLockAcquired(Thread* t, LockBase* l, bool write) override;
  void OnLockReleased(Thread* t, LockBase* l, bool write) override;

  // After every step: stale-pte.
  void AfterStep();
  // At the end of a complete schedule: leak.
  void AtEnd();
  void Report(Invariant inv, std::string message);
  // A free-text trace line (statement started / returned), in event order.
  void Note(std::string text) { Event(TraceEvent::Kind::kNote, std::move(text)); }

  const std::optional<Violation>& violation() const { return violation_; }
  const LockGraph& lock_graph() const { return graph_; }
  // Accesses that reached device memory (CPU loads/stores through a leaf, `dma`,
  // `p2p`): each one finishes an access, so the step limit counts from the last.
  uint64_t accesses() const { return accesses_; }
  std::vector<TraceEvent> TakeEvents() { return std::move(events_); }
  // The checker's part of the state (stateful search): what it remembers across
  // steps and that a later check reads: the leaves it knows of, what `info`
  // said, the lock-order edges of this run. (live_ is counted from leaves_;
  // accesses_ is progress, which the explorer keys separately.)
  void WriteState(StateWriter& w) const;

 private:
  void Event(TraceEvent::Kind k, std::string text);
  static uint64_t Key(int mm, uint64_t va) { return (static_cast<uint64_t>(mm) << 52) ^ va; }

  struct LeafInfo {
    const pci::PciDevice* dev;
    const vfio::VfioPciDmaBuf* priv;
  };
  Machine* machine_ = nullptr;
  bool record_;
  std::optional<Violation> violation_;
  uint64_t accesses_ = 0;
  absl::flat_hash_map<uint64_t, LeafInfo> leaves_;
  absl::flat_hash_map<const void*, int> live_;  // leaves per device / per dma-buf priv
  absl::flat_hash_map<uint64_t, bool> info_mmap_;  // (device, bar) -> info said mmap
  LockGraph graph_;
  std::vector<TraceEvent> events_;
};

}  // namespace vfiosim::sim
