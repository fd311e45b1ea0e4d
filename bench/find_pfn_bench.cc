// vfio_pci_dma_buf_find_pfn(): the kernel's linear walk of phys_vec[] against
// the indexed lookup (prefix sums + binary search), n ranges of 2 MiB each at
// scattered physical addresses, order-0 lookups of random buffer offsets.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "model/dmabuf/find_pfn.h"

namespace vfiosim::dmabuf {
namespace {

constexpr uint64_t kRangeLen = uint64_t{2} << 20;
constexpr uint64_t kVmStart = uint64_t{1} << 40;

std::vector<PhysRange> Ranges(int n) {
  std::vector<PhysRange> r;
  for (int i = 0; i < n; ++i) {
    // 4 MiB-aligned slots in a scrambled order (not sorted by paddr; may alias).
    const uint64_t slot = (static_cast<uint64_t>(i) * 2654435761u) % (static_cast<uint64_t>(n) * 4);
    r.push_back({(uint64_t{1} << 39) + slot * (uint64_t{4} << 20), kRangeLen});
  }
  return r;
}

std::vector<uint64_t> Addresses(int n) {
  std::vector<uint64_t> a(4096);
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> d(0, static_cast<uint64_t>(n) * (kRangeLen >> 12) - 1);
  for (uint64_t& x : a) x = kVmStart + (d(rng) << 12);
  return a;
}

template <class Finder>
void Run(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto f = Finder::Create(Ranges(n));
  if (!f.ok()) {
    state.SkipWithError("bad ranges");
    return;
  }
  const VmaWindow w{kVmStart, kVmStart + static_cast<uint64_t>(n) * kRangeLen, 0};
  const std::vector<uint64_t> addrs = Addresses(n);
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<uint64_t> pfn = f->Find(w, addrs[i], 0);
    benchmark::DoNotOptimize(pfn);
    i = (i + 1) & (addrs.size() - 1);
  }
  state.counters["ranges"] = n;
}

void BM_FindPfnLinear(benchmark::State& state) { Run<LinearPfnFinder>(state); }
void BM_FindPfnIndexed(benchmark::State& state) { Run<IndexedPfnFinder>(state); }

BENCHMARK(BM_FindPfnLinear)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);
BENCHMARK(BM_FindPfnIndexed)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);

}  // namespace
}  // namespace vfiosim::dmabuf
