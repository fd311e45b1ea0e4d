// The fault and zap paths of the model, through Machine ops under FreeRunner:
//  BM_FaultIn1GiB/<leaf>       fault in a whole 1 GiB BAR mapping, one read per
//                              leaf (the next read goes to the first byte the
//                              installed leaf does not cover), leaves limited
//                              by the Kconfig facts pmd_pfnmap/pud_pfnmap;
//  BM_FaultLatency/<v>/<leaf>  one faulting read, uncontended, legacy vs dmabuf;
//  BM_Zap/dense|sparse         unmap_mapping_range() over a 64 GiB mapping with
//                              10 present 4K PTEs, packed vs spread out;
//  BM_PageTableMemory          bytes per 4K page of a densely mapped 1 GiB.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/bench_util.h"
#include "model/mm/page_table.h"

namespace vfiosim::bench {
namespace {

void BM_FaultIn1GiB(benchmark::State& state) {
  const uint64_t leaf = static_cast<uint64_t>(state.range(0));
  Mapped m(Variant::kDmabuf, kGiB, leaf);
  uint64_t faults = 0, leaves = 0;
  for (auto _ : state) {
    for (uint64_t va = m.start; va < m.start + m.size;) {
      const Value v = m.Read(va);
      if (v.failed()) {
        state.SkipWithError(("read failed: " + v.ToString()).c_str());
        return;
      }
      const uint64_t size = m.machine.PageSize(m.proc, va);
      va = (va & ~(size - 1)) + size;
      ++faults;
    }
    state.PauseTiming();
    leaves = m.mm().pt.present_leaves();
    m.ZapAll();
    state.ResumeTiming();
  }
  state.counters["faults"] = static_cast<double>(faults) / static_cast<double>(state.iterations());
  state.counters["leaves"] = static_cast<double>(leaves);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kGiB));
}
BENCHMARK(BM_FaultIn1GiB)->Arg(4096)->Arg(2 << 20)->Arg(1 << 30)->Unit(benchmark::kMicrosecond);

// Faults at leaf-size strides over a BAR of 64 leaves; every 64 faults the
// mapping is zapped (not timed) and the next round faults the same slots.
void FaultLatency(benchmark::State& state, Variant v, uint64_t leaf) {
  constexpr uint64_t kBatch = 64;
  Mapped m(v, kBatch * leaf, leaf);
  uint64_t k = 0;
  for (auto _ : state) {
    const Value r = m.Read(m.start + k * leaf + 0x40);
    benchmark::DoNotOptimize(r);
    if (++k == kBatch) {
      state.PauseTiming();
      if (m.mm().pt.present_leaves() != kBatch) {
        state.SkipWithError("a read did not install exactly one leaf");
        return;
      }
      m.ZapAll();
      k = 0;
      state.ResumeTiming();
    }
  }
}

void BM_Zap(benchmark::State& state, bool sparse) {
  constexpr uint64_t kSpan = uint64_t{64} << 30;
  constexpr int kPtes = 10;
  Mapped m(Variant::kDmabuf, kSpan, 4096);
  mm::AddressSpace& mapping = m.machine.AllDmaBufs().at(0)->dmabuf->mapping;
  auto populate = [&] {
    for (int i = 0; i < kPtes; ++i) {
      const uint64_t off = sparse ? (kSpan / kPtes) * static_cast<uint64_t>(i) & ~uint64_t{4095}
                                  : static_cast<uint64_t>(i) * 4096;
      m.Read(m.start + off);
    }
  };
  populate();
  size_t visited = 0;
  for (auto _ : state) {
    m.runner.Run(mm::unmap_mapping_range(mapping, 0, 0));
    state.PauseTiming();
    visited = m.mm().pt.last_walk_entries_visited();
    if (m.mm().pt.present_leaves() != 0) {
      state.SkipWithError("zap left leaves");
      return;
    }
    populate();
    state.ResumeTiming();
  }
  state.counters["entries_visited"] = static_cast<double>(visited);
}

void BM_PageTableMemory(benchmark::State& state) {
  constexpr uint64_t kPages = kGiB / 4096;
  size_t bytes = 0, tables = 0;
  for (auto _ : state) {
    mm::PageTable pt(mm::Geometry::ForArch(Arch::kX86_64));
    for (uint64_t i = 0; i < kPages; ++i) pt.Insert(kGiB + i * 4096, 12, (uint64_t{1} << 27) + i, true);
    bytes = pt.bytes();
    tables = pt.table_count();
    benchmark::DoNotOptimize(pt);
  }
  state.counters["bytes_per_page"] = static_cast<double>(bytes) / static_cast<double>(kPages);
  state.counters["tables"] = static_cast<double>(tables);
  state.counters["table_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_PageTableMemory)->Unit(benchmark::kMillisecond);

[[maybe_unused]] const bool registered = [] {
  for (Variant v : {Variant::kLegacy, Variant::kDmabuf})
    for (uint64_t leaf : {uint64_t{4096}, uint64_t{2} << 20, uint64_t{1} << 30})
      benchmark::RegisterBenchmark(
          ("BM_FaultLatency/" + std::string(VariantName(v)) + "/" + std::to_string(leaf)).c_str(),
          [v, leaf](benchmark::State& s) { FaultLatency(s, v, leaf); });
  benchmark::RegisterBenchmark("BM_Zap/dense", [](benchmark::State& s) { BM_Zap(s, false); });
  benchmark::RegisterBenchmark("BM_Zap/sparse", [](benchmark::State& s) { BM_Zap(s, true); });
  return true;
}();

}  // namespace
}  // namespace vfiosim::bench
