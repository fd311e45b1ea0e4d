// Shared by bench/*.cc: a Machine with one device, driven op by op through
// sim::FreeRunner (the model's own fault and zap paths, no checker attached).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "model/machine.h"
#include "model/mm/memory.h"
#include "sim/core/free_runner.h"

namespace vfiosim::bench {

inline constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;

// The largest leaf the Kconfig facts allow: 4096 (no huge pfnmap), 2M (PMD), 1G (PUD).
inline MachineConfig OneDevice(Variant v, uint64_t bar_size, uint64_t max_leaf) {
  MachineConfig cfg;
  cfg.arch = Arch::kX86_64;
  cfg.ctx.variant = v;
  cfg.ctx.config.pmd_pfnmap = max_leaf >= 2 * kMiB;
  cfg.ctx.config.pud_pfnmap = max_leaf >= kGiB;
  DeviceSpec d;
  d.name = "gpu";
  d.bdf = "0000:01:00.0";
  d.bars[0].present = true;
  d.bars[0].size = bar_size;
  d.bars[0].mem64 = true;
  d.bars[0].prefetch = true;
  cfg.devices.push_back(std::move(d));
  return cfg;
}

// A process with the device open and BAR0 mapped whole.
struct Mapped {
  Mapped(Variant v, uint64_t bar_size, uint64_t max_leaf)
      : machine(OneDevice(v, bar_size, max_leaf), nullptr), runner("bench") {
    proc = static_cast<int>(machine.OpProcess().v);
    fd = runner.Run(machine.OpOpen(0, proc));
    const Value va = runner.Run(machine.OpMmap(proc, fd, 0, 0, bar_size, true, std::nullopt));
    if (va.kind != Value::Kind::kInt) {
      std::fprintf(stderr, "bench: mmap failed: %s\n", va.ToString().c_str());
      std::abort();
    }
    start = va.v;
    size = bar_size;
  }
  Value Read(uint64_t va) { return runner.Run(machine.OpRead(proc, va)); }
  // MEM off then on: every leaf of the BAR is zapped (both variants).
  void ZapAll() {
    runner.Run(machine.OpCommand(fd, false));
    runner.Run(machine.OpCommand(fd, true));
  }
  mm::Mm& mm() { return *machine.processes()[static_cast<size_t>(proc)].mm; }

  Machine machine;
  sim::FreeRunner runner;
  int proc = 0;
  Value fd;
  uint64_t start = 0, size = 0;
};

}  // namespace vfiosim::bench
