// StressChecker: the invariants of sim/check/checker.h, made cheap and safe to
// call from many threads at once (vfiosim stress). Per event:
//  - mmio-while-disabled: on every MMIO access (the device's decode state is
//    hardware state, read atomically);
//  - pfn-out-of-range: on every leaf insert, against the mapping it lands in;
//  - stale-pte: whenever a thread releases a memory_lock it holds for write,
//    no leaf may map that device while its memory is off, nor a revoked
//    dma-buf (live leaves are counted per device and per dma-buf, atomically,
//    from insert and zap events);
//  - lock-order: lock-class edges in an atomic bit matrix, as lockdep;
//  - use-after-free / importer-after-move: reported as they happen.
// FinalCheck() (single-threaded, after the workers stopped) rescans every page
// table and compares with the counters.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/lock_class.h"
#include "model/machine.h"
#include "sim/core/driver.h"
#include "sim/core/sync.h"
#include "sim/stress/stress.h"

namespace vfiosim::stress {

class StressChecker : public MachineObserver, public sim::LockObserver {
 public:
  // `threads`: sim::Thread ids 0..threads-1 (workers), `threads` (setup/teardown).
  explicit StressChecker(int threads);
  ~StressChecker() override;

  // After setup, before the workers start: learns every mapping, device and
  // dma-buf (the concurrent phase creates none).
  void Index(Machine& m);

  // MmObserver
  void OnLeafInstalled(const mm::Mm& mm, const mm::Vma& vma, const mm::Leaf& leaf) override;
  void OnLeafZapped(const mm::Mm& mm, const mm::Leaf& leaf) override;
  // VfioObserver
  void OnMmioAccess(const pci::PciDevice& dev, int bar, uint64_t offset, const char* who) override;
  void OnImporterAfterMove(const dmabuf::Attachment& att) override;
  void OnUseAfterFree(const char* what) override;
  // MachineObserver
  void OnBarMmapResult(const pci::PciDevice&, int, int) override {}
  void OnRegionInfo(const pci::PciDevice&, int, bool) override {}
  // LockObserver
  void OnLockAcquired(sim::Thread* t, sim::LockBase* l, bool write) override;
  void OnLockReleased(sim::Thread* t, sim::LockBase* l, bool write) override;

  // Single-threaded, workers stopped: every leaf of every page table against
  // the device and dma-buf state and against the live counters.
  void FinalCheck(Machine& m);

  void Report(sim::Invariant inv, std::string message);
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  std::optional<Violation> violation() const;

  // Per sim::Thread counters (written only by that thread).
  struct alignas(64) ThreadCounters {
    uint64_t install_events = 0;
    int last_install_shift = 0;
    std::array<uint64_t, kLeafSizes> installs{};
    uint64_t zapped = 0;
  };
  const ThreadCounters& counters(int thread) const { return per_thread_[static_cast<size_t>(thread)]; }

 private:
  struct MapInfo {
    uint64_t start, end;
    int dev;   // index into devs_
    int priv;  // index into privs_, -1 for a legacy mapping
  };
  struct alignas(64) Live {
    std::atomic<int64_t> n{0};
  };
  const MapInfo* Find(int mm, uint64_t va) const;
  ThreadCounters& Mine();
  void CheckDevice(int dev);

  std::chrono::steady_clock::time_point start_;
  std::vector<ThreadCounters> per_thread_;
  std::vector<std::vector<MapInfo>> maps_;  // by mm id
  std::vector<const vfio::VfioPciCoreDevice*> devs_;
  std::vector<const pci::PciDevice*> pdevs_;
  std::vector<std::vector<int>> dev_privs_;  // per device: its dma-bufs' indices
  std::vector<const vfio::VfioPciDmaBuf*> privs_;
  absl::flat_hash_map<const void*, int> lock_dev_;  // memory_lock -> device index
  std::unique_ptr<Live[]> dev_live_, priv_live_;
  std::array<std::atomic<uint32_t>, static_cast<int>(LockClass::kCount)> lock_rows_{};

  std::atomic<bool> failed_{false};
  mutable std::mutex mu_;
  std::optional<Violation> violation_;
};

}  // namespace vfiosim::stress
