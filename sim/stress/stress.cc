#include "sim/stress/stress.h"

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"
#include "model/machine.h"
#include "sim/core/free_runner.h"
#include "sim/core/splitmix64.h"
#include "sim/stress/stress_checker.h"

namespace vfiosim::stress {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t Ns(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

struct alignas(64) WorkerStats {
  std::atomic<uint64_t> progress{0};  // ops done (watchdog)
  uint64_t reads = 0, hits = 0, faults = 0, sigbus = 0, sigsegv = 0, master_aborts = 0;
  std::array<uint64_t, static_cast<int>(RevokeKind::kCount)> revokes{};
  uint64_t revoke_errors = 0;
  std::array<LatencyHistogram, kLeafSizes> fault_latency;
  LatencyHistogram revoke_latency;
};

void SleepUs(uint64_t us) {
  if (us) std::this_thread::sleep_for(std::chrono::microseconds(us));
}

// Everything one run owns; leaked on purpose when the workers hang.
struct Run {
  StressOptions o;
  std::unique_ptr<StressChecker> checker;
  std::unique_ptr<Machine> machine;
  std::vector<int> faulter_proc;               // by faulter
  std::vector<std::vector<uint64_t>> maps_of;  // by process: mapping addresses
  std::vector<int> revoker_proc;
  std::vector<Value> revoker_fd;
  std::vector<std::unique_ptr<WorkerStats>> stats;
  std::atomic<bool> stop{false};
  std::atomic<int> finished{0};
  std::atomic<int> faulters_done{0};
  std::atomic<int> revokers_started{0};
  // Revokers that finished at least one cycle: an op-quota run ends only when
  // every revoker has (so a short run revokes at least once, however the
  // machine's scheduler treats the threads).
  std::atomic<int> revokers_cycled{0};
  std::atomic<int> next_worker{1};  // faulter 0 is the calling thread
  std::string setup_error;
};

MachineConfig MakeConfig(const StressOptions& o) {
  MachineConfig cfg;
  cfg.arch = Arch::kX86_64;
  cfg.ctx.variant = o.variant;
  cfg.ctx.config.vfio_pci_mmap = true;
  cfg.ctx.config.vfio_pci_dmabuf = true;
  cfg.ctx.config.p2pdma_provider = true;
  cfg.ctx.config.pmd_pfnmap = o.leaf != LeafLimit::k4K;
  cfg.ctx.config.pud_pfnmap = o.leaf == LeafLimit::k1G;
  cfg.ctx.find_pfn = o.find_pfn;
  for (Bug b : o.bugs) cfg.ctx.bugs.add(b);
  DeviceSpec d;
  d.name = "gpu";
  d.bdf = "0000:01:00.0";
  d.bars[0].present = true;
  d.bars[0].size = o.bar_size;
  d.bars[0].mem64 = true;
  d.bars[0].prefetch = true;
  cfg.devices.push_back(std::move(d));
  return cfg;
}

// The run the TBB tasks work for (one at a time: run_mutex).
std::atomic<Run*> current_run{nullptr};
std::mutex run_mutex;

bool Setup(Run& r) {
  const StressOptions& o = r.o;
  const int n = o.faulters + o.revokers;
  sim::FreeRunner setup("setup", n);
  setup.lock_observer = r.checker.get();
  Machine& m = *r.machine;
  auto new_proc = [&]() { return static_cast<int>(m.OpProcess().v); };
  auto open_mapped = [&](int proc) -> bool {
    const Value fd = setup.Run(m.OpOpen(0, proc));
    if (fd.kind != Value::Kind::kHandle) {
      r.setup_error = "open: " + fd.ToString();
      return false;
    }
    if (r.maps_of.size() <= static_cast<size_t>(proc)) r.maps_of.resize(static_cast<size_t>(proc) + 1);
    for (int k = 0; k < o.mappings; ++k) {
      const Value va = setup.Run(m.OpMmap(proc, fd, 0, 0, o.bar_size, true, std::nullopt));
      if (va.kind != Value::Kind::kInt) {
        r.setup_error = "mmap: " + va.ToString();
        return false;
      }
      r.maps_of[static_cast<size_t>(proc)].push_back(va.v);
    }
    return true;
  };
  if (o.shared_mm) {
    const int p = new_proc();
    if (!open_mapped(p)) return false;
    r.faulter_proc.assign(static_cast<size_t>(o.faulters), p);
  } else {
    for (int i = 0; i < o.faulters; ++i) {
      const int p = new_proc();
      if (!open_mapped(p)) return false;
      r.faulter_proc.push_back(p);
    }
  }
  for (int i = 0; i < o.revokers; ++i) {
    const int p = new_proc();
    const Value fd = setup.Run(m.OpOpen(0, p));
    if (fd.kind != Value::Kind::kHandle) {
      r.setup_error = "open: " + fd.ToString();
      return false;
    }
    r.revoker_proc.push_back(p);
    r.revoker_fd.push_back(fd);
  }
  r.checker->Index(m);
  return true;
}

void Faulter(Run& r, int i) {
  const StressOptions& o = r.o;
  sim::FreeRunner runner(absl::StrFormat("faulter%d", i), i);
  runner.lock_observer = r.checker.get();
  WorkerStats& st = *r.stats[static_cast<size_t>(i)];
  const StressChecker::ThreadCounters& tc = r.checker->counters(i);
  Machine& m = *r.machine;
  SplitMix64 rng{o.seed * 0x100000001b3ull + static_cast<uint64_t>(i) * SplitMix64::kGamma};  // per thread
  uint64_t quota = UINT64_MAX;
  if (o.ops) quota = o.ops / static_cast<uint64_t>(o.faulters) + (static_cast<uint64_t>(i) < o.ops % o.faulters);
  const int proc = r.faulter_proc[static_cast<size_t>(i)];
  const std::vector<uint64_t>& maps = r.maps_of[static_cast<size_t>(proc)];
  const uint64_t pages = o.bar_size >> 12;
  // Let the revokers get going first (bounded): on a busy machine a short
  // --stress_ops run could otherwise finish before any revoker ran.
  for (int spin = 0; o.revokers > 0 && r.revokers_started.load(std::memory_order_acquire) == 0 && spin < 20000; ++spin)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  while (st.reads < quota && !r.stop.load(std::memory_order_relaxed)) {
    const uint64_t x = rng.Next();
    const uint64_t va = maps[x % maps.size()] + ((x >> 8) % pages) * 4096 + ((x >> 52) & 0xffc);
    const uint64_t installs = tc.install_events;
    const Clock::time_point t0 = o.record_latency ? Clock::now() : Clock::time_point{};
    const Value v = runner.Run(m.OpRead(proc, va));
    const Clock::time_point t1 = o.record_latency ? Clock::now() : Clock::time_point{};
    st.reads++;
    if (v.kind == Value::Kind::kSignal) {
      if (v.v == kSIGBUS) st.sigbus++;
      else st.sigsegv++;
    } else if (tc.install_events != installs) {
      st.faults++;
      if (o.record_latency)
        st.fault_latency[static_cast<size_t>(LeafIndex(tc.last_install_shift))].Add(Ns(t0, t1));
      if (v == Value::Int(0xffffffff)) st.master_aborts++;
    } else {
      st.hits++;
      if (v == Value::Int(0xffffffff)) st.master_aborts++;
    }
    st.progress.store(st.reads, std::memory_order_relaxed);
    if (r.checker->failed()) break;
  }
  r.faulters_done.fetch_add(1);
}

void Revoker(Run& r, int i) {
  r.revokers_started.fetch_add(1, std::memory_order_release);
  const StressOptions& o = r.o;
  const int k = i - o.faulters;
  sim::FreeRunner runner(absl::StrFormat("revoker%d", k), i);
  runner.lock_observer = r.checker.get();
  WorkerStats& st = *r.stats[static_cast<size_t>(i)];
  Machine& m = *r.machine;
  const int proc = r.revoker_proc[static_cast<size_t>(k)];
  Value& fd = r.revoker_fd[static_cast<size_t>(k)];
  uint64_t ops = 0;
  auto timed = [&](sim::Task<Value> t) {
    const Clock::time_point t0 = Clock::now();
    const Value v = runner.Run(std::move(t));
    st.revoke_latency.Add(Ns(t0, Clock::now()));
    if (v.failed()) st.revoke_errors++;
    st.progress.store(++ops, std::memory_order_relaxed);
    return v;
  };
  size_t next = static_cast<size_t>(k) % o.revoke_kinds.size();
  bool cycled = false;
  while (!r.stop.load(std::memory_order_relaxed) && !r.checker->failed()) {
    const RevokeKind kind = o.revoke_kinds[next];
    next = (next + 1) % o.revoke_kinds.size();
    switch (kind) {
      case RevokeKind::kCommand:
        timed(m.OpCommand(fd, false));
        SleepUs(o.disabled_us);
        timed(m.OpCommand(fd, true));
        break;
      case RevokeKind::kPower:
        timed(m.OpPower(fd, true));
        SleepUs(o.disabled_us);
        timed(m.OpPower(fd, false));
        break;
      case RevokeKind::kReset:
        timed(m.OpReset(fd));
        break;
      case RevokeKind::kClose: {
        timed(m.OpClose(fd));
        const Value nfd = timed(m.OpOpen(0, proc));
        if (nfd.kind == Value::Kind::kHandle) fd = nfd;
        break;
      }
      case RevokeKind::kCount:
        break;
    }
    st.revokes[static_cast<size_t>(kind)]++;
    if (!cycled) r.revokers_cycled.fetch_add(1);
    cycled = true;
    SleepUs(o.revoke_gap_us);
  }
}

void Teardown(Run& r) {
  sim::FreeRunner t("teardown", r.o.faulters + r.o.revokers);
  t.lock_observer = r.checker.get();
  Machine& m = *r.machine;
  for (const Process& p : m.processes())
    if (!p.exited) t.Run(m.OpExit(p.id));
  if (r.checker->failed()) return;
  std::vector<std::string> live = m.LiveObjects();
  if (!live.empty()) {
    std::string msg = "after teardown (every process exited), still alive:";
    for (const std::string& s : live) msg += " " + s + ";";
    msg.pop_back();
    r.checker->Report(sim::Invariant::kLeak, msg);
  }
}

std::unique_ptr<Run> NewRun(const StressOptions& o) {
  const int n = o.faulters + o.revokers;
  auto run = std::make_unique<Run>();
  Run& r = *run;
  r.o = o;
  r.checker = std::make_unique<StressChecker>(n);
  r.machine = std::make_unique<Machine>(MakeConfig(o), r.checker.get());
  for (int i = 0; i < n; ++i) r.stats.push_back(std::make_unique<WorkerStats>());
  return run;
}

// Stops the run (duration, op quota, violation) and detects a deadlock: no
// worker made progress for --hang_seconds.
void Watchdog(Run& r, Clock::time_point start, StressResult& res) {
  const StressOptions& o = r.o;
  const int n = o.faulters + o.revokers;
  uint64_t last_sum = 0;
  Clock::time_point last_change = Clock::now();
  const auto hang = std::chrono::duration<double>(o.hang_seconds);
  while (r.finished.load() < n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const Clock::time_point now = Clock::now();
    if (r.checker->failed()) r.stop = true;
    if (o.duration_seconds > 0 && now - start >= std::chrono::duration<double>(o.duration_seconds)) r.stop = true;
    if (r.faulters_done.load() == o.faulters && r.revokers_cycled.load() == o.revokers) r.stop = true;
    uint64_t sum = 0;
    for (const auto& st : r.stats) sum += st->progress.load(std::memory_order_relaxed);
    if (sum != last_sum) {
      last_sum = sum;
      last_change = now;
    } else if (now - last_change > hang) {
      // Workers are blocked inside the model for good: report and leave the
      // process (nothing that waits for them can return).
      r.checker->Report(sim::Invariant::kDeadlock,
                        absl::StrFormat("no thread made progress for %.1f s: the workers are blocked on model locks",
                                        o.hang_seconds));
      res.seconds = std::chrono::duration<double>(now - start).count();
      res.hung = true;
      res.violation = r.checker->violation();
      if (o.on_hang) o.on_hang(res);
      std::fprintf(stderr, "vfiosim stress: deadlock: %s\n", res.violation->message.c_str());
      std::fflush(nullptr);
      std::_Exit(1);
    }
  }
}

// Workers 1..n-1 (faulters, then revokers), each on a TBB worker of its own.
void StartWorkers(Run& r, tbb::task_arena& arena) {
  const int n = r.o.faulters + r.o.revokers;
  // The tasks capture nothing and are enqueued, not run through
  // arena.execute(): libtbb is not instrumented, so a closure or functor
  // written here and read by a worker would look like a race to
  // ThreadSanitizer; the run is handed over through an atomic instead.
  current_run.store(&r, std::memory_order_release);
  for (int i = 1; i < n; ++i)
    arena.enqueue([] {
      Run& w = *current_run.load(std::memory_order_acquire);
      const int k = w.next_worker.fetch_add(1);
      if (k < w.o.faulters) Faulter(w, k);
      else Revoker(w, k);
      w.finished.fetch_add(1, std::memory_order_acq_rel);
    });
}

// The concurrent phase. Faulter 0 runs on the calling thread (so that a
// benchmark's CPU clock sees the work); every other simulated thread gets a
// TBB worker of its own (they block on real locks, so the arena is as wide
// as the thread count, not the cores). A watchdog thread stops the run
// (duration, op quota, violation) and detects a deadlock.
void RunConcurrentPhase(Run& r, StressResult& res) {
  const int n = r.o.faulters + r.o.revokers;
  std::unique_ptr<tbb::global_control> gc;
  std::unique_ptr<tbb::task_arena> arena;
  if (n > 1) {
    gc = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                               static_cast<size_t>(n) + 1);
    arena = std::make_unique<tbb::task_arena>(n - 1, 0);
  }
  const Clock::time_point start = Clock::now();
  std::thread watchdog([&] { Watchdog(r, start, res); });
  if (n > 1) StartWorkers(r, *arena);
  Faulter(r, 0);
  r.finished.fetch_add(1, std::memory_order_acq_rel);
  // Every worker's writes (statistics) happen before this load.
  while (r.finished.load(std::memory_order_acquire) < n) std::this_thread::sleep_for(std::chrono::microseconds(200));
  res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  watchdog.join();
  arena.reset();
  gc.reset();
}

// The workers' and the checker's counters, summed into the result.
void AddCounters(const Run& r, StressResult& res) {
  const int n = r.o.faulters + r.o.revokers;
  for (int t = 0; t < n; ++t) {
    const WorkerStats& s = *r.stats[static_cast<size_t>(t)];
    res.reads += s.reads;
    res.hits += s.hits;
    res.faults += s.faults;
    res.sigbus += s.sigbus;
    res.sigsegv += s.sigsegv;
    res.master_aborts += s.master_aborts;
    for (size_t k = 0; k < s.revokes.size(); ++k) res.revokes[k] += s.revokes[k];
    res.revoke_errors += s.revoke_errors;
    for (int l = 0; l < kLeafSizes; ++l) res.fault_latency[l].Merge(s.fault_latency[l]);
    res.revoke_latency.Merge(s.revoke_latency);
    const StressChecker::ThreadCounters& c = r.checker->counters(t);
    for (int l = 0; l < kLeafSizes; ++l) res.installs[l] += c.installs[l];
    res.zapped += c.zapped;
  }
}

}  // namespace

int LeafIndex(int shift) { return shift >= 30 ? 2 : shift >= 21 ? 1 : 0; }
std::string_view LeafIndexName(int i) { return i == 2 ? "1g" : i == 1 ? "2m" : "4k"; }

std::string_view LeafLimitName(LeafLimit l) {
  switch (l) {
    case LeafLimit::k4K: return "4k";
    case LeafLimit::k2M: return "2m";
    case LeafLimit::k1G: return "1g";
  }
  return "?";
}

std::optional<LeafLimit> ParseLeafLimit(std::string_view s) {
  if (s == "4k" || s == "4K" || s == "4096") return LeafLimit::k4K;
  if (s == "2m" || s == "2M" || s == "2097152") return LeafLimit::k2M;
  if (s == "1g" || s == "1G" || s == "1073741824") return LeafLimit::k1G;
  return std::nullopt;
}

std::string_view RevokeKindName(RevokeKind k) {
  switch (k) {
    case RevokeKind::kCommand: return "command";
    case RevokeKind::kPower: return "power";
    case RevokeKind::kReset: return "reset";
    case RevokeKind::kClose: return "close";
    case RevokeKind::kCount: break;
  }
  return "?";
}

std::optional<RevokeKind> ParseRevokeKind(std::string_view s) {
  for (int i = 0; i < static_cast<int>(RevokeKind::kCount); ++i)
    if (RevokeKindName(static_cast<RevokeKind>(i)) == s) return static_cast<RevokeKind>(i);
  return std::nullopt;
}

std::optional<std::string> ValidateOptions(const StressOptions& o) {
  if (o.faulters < 1 || o.faulters > 256) return "the number of faulting threads must be 1..256";
  if (o.revokers < 0 || o.revokers > 64) return "the number of revoker threads must be 0..64";
  if (o.revokers > 0 && o.revoke_kinds.empty()) return "revokers need at least one revoke kind";
  if (o.mappings < 1 || o.mappings > 64) return "mappings per process must be 1..64";
  if (o.bar_size < 4096 || (o.bar_size & (o.bar_size - 1)) || o.bar_size > (uint64_t{1} << 40))
    return "the BAR size must be a power of two between 4K and 1T";
  if (o.duration_seconds < 0 || o.duration_seconds > 86400) return "the duration must be 0..86400 seconds";
  if (o.duration_seconds == 0 && o.ops == 0) return "give a duration or a number of ops";
  if (o.hang_seconds <= 0) return "the hang timeout must be positive";
  return std::nullopt;
}

StressResult RunStress(const StressOptions& o) {
  std::lock_guard<std::mutex> one_at_a_time(run_mutex);
  StressResult res;
  res.options = o;
  std::unique_ptr<Run> run = NewRun(o);
  Run& r = *run;
  if (!Setup(r)) {
    res.violation = Violation{sim::Invariant::kLeak, "setup failed: " + r.setup_error, "setup", 0};
    return res;
  }
  RunConcurrentPhase(r, res);
  if (!r.checker->failed()) r.checker->FinalCheck(*r.machine);
  // Counters (before teardown, whose zaps are not part of the run).
  AddCounters(r, res);
  if (!r.checker->failed()) Teardown(r);
  res.violation = r.checker->violation();
  return res;
}

}  // namespace vfiosim::stress
