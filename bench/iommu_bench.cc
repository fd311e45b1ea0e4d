// IOMMU importer benchmarks (issue: VFIO type1 DMA maps of BAR mmaps vs iommufd).
//  BM_Type1MapBar/<leaf>: VFIO_IOMMU_MAP_DMA of a whole 32 GiB BAR mmap through
//    vaddr_get_pfns()/follow_fault_pfn(), faulting in with fixup_user_fault(), with
//    the CPU leaves limited to <leaf> bytes; type1 steps by the leaf size ("vfio:
//    Improve DMA mapping performance for huge pfnmaps", 2025).
//  BM_IommufdMap/<ranges>: a dynamic importer's attach + map of a VFIO dma-buf
//    with <ranges> ranges (iommufd itself takes one range: vfio_pci_dma_buf_iommufd_map()
//    refuses more, so ranges > 1 measure dma_buf_map_attachment()).
#include <benchmark/benchmark.h>

#include "model/machine.h"
#include "sim/check/checker.h"
#include "sim/core/free_runner.h"

namespace vfiosim {
namespace {

MachineConfig BarConfig(uint64_t bar_size, uint64_t leaf) {
  MachineConfig cfg;
  cfg.arch = Arch::kX86_64;
  cfg.ctx.variant = Variant::kDmabuf;
  cfg.page_table_budget = size_t{1} << 30;  // 32 GiB of 4K PTEs needs ~65 MiB of tables
  cfg.ctx.config.pmd_pfnmap = leaf >= (uint64_t{1} << 21);
  cfg.ctx.config.pud_pfnmap = leaf >= (uint64_t{1} << 30);
  DeviceSpec d;
  d.name = "gpu";
  d.bdf = "0000:01:00.0";
  d.bars[0].present = true;
  d.bars[0].size = bar_size;
  d.bars[0].mem64 = true;
  d.bars[0].prefetch = true;
  cfg.devices.push_back(d);
  return cfg;
}

void BM_Type1MapBar(benchmark::State& state) {
  const uint64_t leaf = static_cast<uint64_t>(state.range(0));
  const uint64_t size = uint64_t{32} << 30;
  uint64_t pfn_steps = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto machine = std::make_unique<Machine>(BarConfig(size, leaf), nullptr);
    sim::FreeRunner r("bench");
    const Value p = machine->OpProcess();
    const Value fd = r.Run(machine->OpOpen(0, static_cast<int>(p.v)));
    const Value va = r.Run(machine->OpMmap(static_cast<int>(p.v), fd, 0, 0, std::nullopt, true, std::nullopt));
    if (va.failed()) {
      state.SkipWithError("mmap failed");
      break;
    }
    state.ResumeTiming();
    const Value io = r.Run(machine->OpIommuMap(static_cast<int>(p.v), va.v, size, true));
    benchmark::DoNotOptimize(io);
    if (io.failed()) {
      state.SkipWithError("iommu-map failed");
      break;
    }
    pfn_steps = size / leaf;
    state.PauseTiming();
    machine.reset();
    state.ResumeTiming();
  }
  state.counters["pfn_lookups"] = static_cast<double>(pfn_steps);
}
BENCHMARK(BM_Type1MapBar)
    ->Arg(4096)
    ->Arg(2 << 20)
    ->Arg(1 << 30)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

void BM_IommufdMap(benchmark::State& state) {
  const int ranges = static_cast<int>(state.range(0));
  auto machine = std::make_unique<Machine>(BarConfig(uint64_t{1} << 30, 4096), nullptr);
  sim::FreeRunner r("bench");
  const Value p = machine->OpProcess();
  const Value fd = r.Run(machine->OpOpen(0, static_cast<int>(p.v)));
  std::vector<vfio::ExportRange> rs;
  for (int i = 0; i < ranges; ++i) rs.push_back({static_cast<uint64_t>(i) * 8192, 4096});
  const Value buf = r.Run(machine->OpExport(fd, 0, rs));
  if (buf.failed()) {
    state.SkipWithError("export failed");
    return;
  }
  for (auto _ : state) {
    if (ranges == 1) {
      const Value io = r.Run(machine->OpIommufdMap(buf));
      benchmark::DoNotOptimize(io);
    } else {
      const Value att = r.Run(machine->OpAttach(buf, true));
      const Value m = r.Run(machine->OpMap(att));
      benchmark::DoNotOptimize(m);
    }
  }
}
BENCHMARK(BM_IommufdMap)->Arg(1)->Arg(16)->Arg(256);

}  // namespace
}  // namespace vfiosim
