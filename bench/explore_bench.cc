// Exploration throughput:
//  BM_Explore/<scenario>     exhaustive exploration (one job) of each
//                            scenarios/*.scn, counters steps_per_second and
//                            schedules_per_second (wall clock);
//  BM_ExploreParallel/<jobs> the same exhaustive tree of a fixed three-thread
//                            scenario with 1 or 2 TBB jobs (compare real_time);
//  BM_SpinAnchor/<N>x<P>     exhaustive exploration (one job) of
//                            bench/spin/anchor-<N>x<P>.scn, the race that
//                            bench/spin/anchor.pml models for Spin (BENCHMARKS.md).
//  BM_SpinAnchorState/<N>x<P> the same with the stateful search (--reduction=state).
// A scenario whose exploration does not finish in 10 s is cut there (counter
// complete=0): the rates stay meaningful.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/explore/explorer.h"
#include "sim/run/program.h"
#include "sim/scenario/parser.h"

#ifndef VFIOSIM_SOURCE_DIR
#define VFIOSIM_SOURCE_DIR "."
#endif

namespace vfiosim::bench {
namespace {

struct Loaded {
  scn::Scenario scenario;
  sim::Program program;
};

std::unique_ptr<Loaded> Load(const std::string& text_or_path, bool is_path, std::string* err) {
  absl::StatusOr<scn::Scenario> s =
      is_path ? scn::LoadScenarioFile(text_or_path) : scn::LoadScenario(text_or_path, "bench.scn");
  if (!s.ok()) {
    *err = std::string(s.status().message());
    return nullptr;
  }
  auto l = std::make_unique<Loaded>();
  l->scenario = *std::move(s);
  absl::StatusOr<sim::Program> p = sim::Compile(l->scenario, sim::CompileOptions{});
  if (!p.ok()) {
    *err = std::string(p.status().message());
    return nullptr;
  }
  l->program = *std::move(p);
  l->program.scenario = &l->scenario;
  return l;
}

void Explore(benchmark::State& state, const sim::Program& p, int jobs,
             sim::Reduction reduction = sim::Reduction::kSleep) {
  sim::ExploreOptions o;
  o.strategy = sim::Strategy::kExhaustive;
  o.reduction = reduction;
  o.jobs = jobs;
  o.timeout_seconds = 10;
  o.progress = false;
  uint64_t steps = 0, schedules = 0, states = 0;
  bool complete = true;
  double wall = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const sim::ExploreResult r = sim::Explore(p, o);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    steps += r.steps;
    schedules += r.schedules + r.pruned;
    states += r.states_stored;
    complete &= r.exhaustive_complete;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["steps"] = static_cast<double>(steps) / n;
  state.counters["schedules"] = static_cast<double>(schedules) / n;
  state.counters["steps_per_second"] = wall > 0 ? static_cast<double>(steps) / wall : 0;
  state.counters["schedules_per_second"] = wall > 0 ? static_cast<double>(schedules) / wall : 0;
  // Per CPU-second of the calling thread (meaningful for one job on a busy machine).
  state.counters["steps_per_cpu_second"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["complete"] = complete ? 1 : 0;
  if (reduction == sim::Reduction::kState) state.counters["states"] = static_cast<double>(states) / n;
  state.counters["jobs"] = jobs;
}

// Three threads, two ops each, on one device: a few thousand schedules.
constexpr const char* kParallelScenario = R"(scenario explore-parallel
variant dmabuf
device gpu
  bar 0 size=4M mem64 prefetch
end
setup
  p  = process
  fd = open gpu in p
  va = mmap p fd bar=0
end
thread cpu
  r = read p va
  s = read p va+0x200000
end
thread admin
  c0 = command fd mem=0
  c1 = command fd mem=1
end
thread pm
  x  = reset fd
  d3 = power fd d3
end
expect always cpu.r in {0, SIGBUS}
)";

[[maybe_unused]] const bool registered = [] {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(VFIOSIM_SOURCE_DIR) / "scenarios", ec))
    if (e.is_regular_file() && e.path().extension() == ".scn") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::pair<std::string, fs::path>> runs;
  for (const fs::path& f : files) runs.emplace_back("BM_Explore/" + f.stem().string(), f);
  for (const char* np : {"2x1", "2x2", "3x1", "3x2"})
    runs.emplace_back(std::string("BM_SpinAnchor/") + np,
                      fs::path(VFIOSIM_SOURCE_DIR) / "bench" / "spin" / (std::string("anchor-") + np + ".scn"));
  for (const char* np : {"2x1", "2x2", "3x1"})
    runs.emplace_back(std::string("BM_SpinAnchorState/") + np,
                      fs::path(VFIOSIM_SOURCE_DIR) / "bench" / "spin" / (std::string("anchor-") + np + ".scn"));
  for (const auto& [name, f] : runs) {
    const std::string path = f.string();
    const sim::Reduction red =
        name.starts_with("BM_SpinAnchorState/") ? sim::Reduction::kState : sim::Reduction::kSleep;
    benchmark::RegisterBenchmark(name.c_str(), [path, red](benchmark::State& s) {
      std::string err;
      std::unique_ptr<Loaded> l = Load(path, true, &err);
      if (!l) {
        s.SkipWithError(("scenario does not load: " + err).c_str());
        for (auto _ : s) {
        }
        return;
      }
      Explore(s, l->program, 1, red);
    })->Unit(benchmark::kMillisecond);
  }
  for (int jobs : {1, 2})
    benchmark::RegisterBenchmark(("BM_ExploreParallel/" + std::to_string(jobs)).c_str(),
                                 [jobs](benchmark::State& s) {
                                   std::string err;
                                   std::unique_ptr<Loaded> l = Load(kParallelScenario, false, &err);
                                   if (!l) {
                                     s.SkipWithError(err.c_str());
                                     for (auto _ : s) {
                                     }
                                     return;
                                   }
                                   Explore(s, l->program, jobs);
                                 })
        ->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace
}  // namespace vfiosim::bench
