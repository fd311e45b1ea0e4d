// Free-running stress: the model run on real threads with real locks.
//
// One Machine with one device (BAR0 of `bar_size`) is set up single-threaded:
// every process, fd and BAR mapping the run needs is created before any
// worker starts. Then, on TBB worker threads, each a sim::FreeRunner with its
// own sim::Thread:
//  - `faulters` threads read random words of random pages of their mappings
//    (Machine::OpRead: page-table walk, fault, huge_fault, vmf_insert_pfn*),
//    each in a process of its own, or all in one shared mm;
//  - `revokers` threads cycle through the revoking ops: PCI_COMMAND.MEM off/on,
//    VFIO_DEVICE_RESET, low-power entry/exit (D3), close/reopen of their fd.
// A concurrent checker (StressChecker) watches the model's events: every MMIO
// access must reach an enabled device (mmio-while-disabled), every inserted
// leaf must map the right pfn (pfn-out-of-range), no leaf may map a disabled
// device or a revoked dma-buf when a revoker releases memory_lock
// (stale-pte), lock classes must keep one order (lock-order), and a run in
// which no thread progresses for `hang_seconds` is a deadlock. After the
// workers stop: a full scan of every page table, counter consistency, and a
// teardown that must leave nothing alive (leak).
//
// Only reads run concurrently (BAR contents are one unsynchronised map, as
// the hardware's memory is), and mmap/munmap/fork stay in setup: see
// docs in BENCHMARKS.md ("vfiosim stress").
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/arch.h"
#include "model/bugs.h"
#include "model/vfio/vfio_context.h"
#include "sim/check/invariant.h"
#include "sim/stress/histogram.h"

namespace vfiosim::stress {

// Leaf sizes the fault path may install: 4K only, up to 2M (PMD), up to 1G (PUD).
enum class LeafLimit { k4K, k2M, k1G };
std::string_view LeafLimitName(LeafLimit l);  // "4k", "2m", "1g"
std::optional<LeafLimit> ParseLeafLimit(std::string_view s);

enum class RevokeKind { kCommand, kPower, kReset, kClose, kCount };
std::string_view RevokeKindName(RevokeKind k);  // "command", "power", "reset", "close"
std::optional<RevokeKind> ParseRevokeKind(std::string_view s);

struct StressOptions {
  Variant variant = Variant::kDmabuf;
  LeafLimit leaf = LeafLimit::k1G;
  std::vector<Bug> bugs;
  dmabuf::PfnFinderKind find_pfn = dmabuf::PfnFinderKind::kLinear;
  int faulters = 2;
  int revokers = 1;
  bool shared_mm = false;  // all faulters in one process (one mm, one set of mappings)
  int mappings = 1;        // BAR0 mappings per process
  uint64_t bar_size = uint64_t{1} << 30;
  double duration_seconds = 1.0;  // stop after this long (0: only `ops` stops the run)
  uint64_t ops = 0;               // stop after this many faulter reads in total (0: duration)
  std::vector<RevokeKind> revoke_kinds = {RevokeKind::kCommand, RevokeKind::kPower, RevokeKind::kReset,
                                          RevokeKind::kClose};
  uint64_t revoke_gap_us = 100;  // revokers sleep this long between two revokes
  uint64_t disabled_us = 0;      // and this long between a disable and its re-enable
  uint64_t seed = 1;
  double hang_seconds = 10;  // no progress for this long: deadlock
  bool record_latency = true;
  // Called (from the watchdog thread) when the run deadlocks, before the
  // process exits with status 1: e.g. to print the report so far.
  std::function<void(const struct StressResult&)> on_hang;
};

struct Violation {
  sim::Invariant inv;
  std::string message;
  std::string thread;  // the worker that saw it
  double at_seconds = 0;
};

// One leaf size: 0 = 4K, 1 = 2M, 2 = 1G.
inline constexpr int kLeafSizes = 3;
int LeafIndex(int shift);
std::string_view LeafIndexName(int i);  // "4k", "2m", "1g"

struct StressResult {
  StressOptions options;
  double seconds = 0;  // wall time of the concurrent phase
  // Faulter reads: each one is exactly one of hit (the page was mapped),
  // fault (it faulted, maybe more than once, and read a value) or sigbus.
  uint64_t reads = 0, hits = 0, faults = 0, sigbus = 0;
  uint64_t sigsegv = 0, master_aborts = 0;  // never expected
  std::array<uint64_t, kLeafSizes> installs{};  // leaves installed, by size
  uint64_t zapped = 0;                          // leaves zapped
  std::array<uint64_t, static_cast<int>(RevokeKind::kCount)> revokes{};
  uint64_t revoke_errors = 0;  // revoking ops that returned an error (e.g. D3 entry while in D3)
  // Host-time latency of a faulting read, by the size of the leaf it
  // installed; and of every revoking op (disable+enable counted once each).
  std::array<LatencyHistogram, kLeafSizes> fault_latency;
  LatencyHistogram revoke_latency;
  std::optional<Violation> violation;
  bool hung = false;  // a deadlock (only ever seen by StressOptions::on_hang)
  int threads() const { return options.faulters + options.revokers; }
  uint64_t total_revokes() const {
    uint64_t n = 0;
    for (uint64_t r : revokes) n += r;
    return n;
  }
};

// Checks the options: what is wrong with them, or nothing when they are fine.
std::optional<std::string> ValidateOptions(const StressOptions& o);

// Runs one stress configuration on the calling thread plus faulters+revokers-1
// TBB workers. A deadlock (no progress for hang_seconds) ends the process with
// status 1 after StressOptions::on_hang: blocked workers cannot be reclaimed.
StressResult RunStress(const StressOptions& o);

// Reports.
std::string RenderText(const std::vector<StressResult>& runs);
std::string RenderJson(const std::vector<StressResult>& runs);

}  // namespace vfiosim::stress
