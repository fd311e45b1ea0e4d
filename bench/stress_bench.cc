// BM_Stress/<threads>: free-running faults per second with <threads> faulting
// threads (a process each) and one revoker, dmabuf variant, 2M leaves, 0.25 s
// per iteration. The calling thread is faulter 0, so the CPU clock sees work;
// rates are computed from the run's own wall clock.
#include <benchmark/benchmark.h>

#include "sim/stress/stress.h"

namespace vfiosim::stress {
namespace {

void BM_Stress(benchmark::State& state) {
  StressOptions o;
  o.variant = Variant::kDmabuf;
  o.leaf = LeafLimit::k2M;
  o.faulters = static_cast<int>(state.range(0));
  o.revokers = 1;
  o.duration_seconds = 0.25;
  double seconds = 0;
  uint64_t faults = 0, reads = 0, revokes = 0, sigbus = 0;
  LatencyHistogram lat;
  for (auto _ : state) {
    const StressResult r = RunStress(o);
    if (r.violation) {
      state.SkipWithError(r.violation->message.c_str());
      break;
    }
    seconds += r.seconds;
    faults += r.faults;
    reads += r.reads;
    revokes += r.total_revokes();
    sigbus += r.sigbus;
    for (const LatencyHistogram& h : r.fault_latency) lat.Merge(h);
  }
  if (seconds <= 0) return;
  state.counters["faults_per_second"] = static_cast<double>(faults) / seconds;
  state.counters["reads_per_second"] = static_cast<double>(reads) / seconds;
  state.counters["revokes_per_second"] = static_cast<double>(revokes) / seconds;
  state.counters["sigbus_per_second"] = static_cast<double>(sigbus) / seconds;
  state.counters["fault_p50_ns"] = static_cast<double>(lat.Quantile(0.5));
  state.counters["fault_p99_ns"] = static_cast<double>(lat.Quantile(0.99));
  state.counters["threads"] = o.faulters;
}
BENCHMARK(BM_Stress)->Arg(1)->Arg(2)->Arg(4)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vfiosim::stress
