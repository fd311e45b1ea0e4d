// struct pci_dev, as far as BAR mappings see it: six BARs (resources), the
// PCI_COMMAND register's memory-space enable, the power state (D0/D3hot), a
// function reset that saves and restores config space, and sparse BAR memory.
// include/linux/pci.h, drivers/pci/pci.c.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "sim/core/discipline.h"
#include "sim/core/state_writer.h"

namespace vfiosim::pci {

inline constexpr int kNumBars = 6;  // PCI_STD_NUM_BARS
inline constexpr uint16_t kCommandMemory = 0x2;  // PCI_COMMAND_MEMORY
inline constexpr uint16_t kCommandMaster = 0x4;  // PCI_COMMAND_MASTER

enum class PowerState { kD0, kD3hot };

struct PciBar {
  bool present = false;
  uint64_t start = 0;  // pci_resource_start()
  uint64_t size = 0;   // pci_resource_len()
  bool mem64 = false;
  bool prefetch = false;
  bool io = false;     // IORESOURCE_IO: never mmap-able
  // Sparse contents: 4-byte words written so far; everything else reads 0.
  absl::flat_hash_map<uint64_t, uint32_t> mem;
  bool contains(uint64_t paddr) const { return present && paddr >= start && paddr - start < size; }
};

class PciDevice {
 public:
  PciDevice(int id, std::string name, std::string bdf, bool reset_works)
      : id_(id), name_(std::move(name)), bdf_(std::move(bdf)), reset_works_(reset_works) {}

  int id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& bdf() const { return bdf_; }
  bool reset_works() const { return reset_works_; }
  // pdev->no_command_memory (drivers/pci/iov.c sets it for VFs, 515ecd5368f1):
  // a VF's PCI_COMMAND.MEM is hard-wired 0; memory decode follows the PF's
  // SR-IOV VF MSE, which the model keeps on. Fixed at creation.
  bool no_command_memory() const { return no_command_memory_; }
  void set_virtfn() {
    no_command_memory_ = true;
    command = 0;
  }

  std::array<PciBar, kNumBars> bars;

  // Physical config space. Hardware state: the CPU's MMIO and the device see it
  // without any kernel lock, so under the free-running driver (vfiosim stress)
  // it is read racily by design; atomics make that a defined race (the kernel
  // state next to it, vconfig and pm_runtime_engaged, stays plain so that TSan
  // still sees a fault that reads it without memory_lock).
  std::atomic<uint16_t> command{kCommandMemory};
  std::atomic<PowerState> power{PowerState::kD0};
  std::atomic<bool> in_reset{false};

  // Memory decode as the hardware sees it: MEM set (a VF: always), in D0, not
  // mid-reset.
  bool decode_enabled() const {
    sim::TouchReturning(&mmio_tag_, false, "device registers");  // the caller learns only the answer
    const bool on = (no_command_memory_ || (command & kCommandMemory)) && power == PowerState::kD0 && !in_reset;
    sim::NoteResult(on);
    return on;
  }
  // A write of PCI_COMMAND's MEM bit: ignored by a VF (hard-wired 0).
  void WriteCommandMem(bool mem) {
    TouchMmio(true);
    if (no_command_memory_) return;
    command = mem ? (command | kCommandMemory) : (command & static_cast<uint16_t>(~kCommandMemory));
  }

  // pci_save_state() / pci_restore_state() around a function reset.
  void SaveState() {
    TouchMmio(true);
    saved_command_ = command.load();
  }
  void RestoreState() {
    TouchMmio(true);
    if (saved_command_) command = *saved_command_;
  }

  // The bar and offset a physical address falls in, if any.
  std::optional<std::pair<int, uint64_t>> Decode(uint64_t paddr) const {
    for (int i = 0; i < kNumBars; ++i)
      if (bars[i].contains(paddr)) return std::make_pair(i, paddr - bars[i].start);
    return std::nullopt;
  }
  uint32_t ReadBar(int bar, uint64_t off) const {
    sim::TouchReturning(&mmio_tag_, false, "device registers");  // the caller learns only the value
    auto it = bars[bar].mem.find(off & ~uint64_t{3});
    const uint32_t v = it == bars[bar].mem.end() ? 0 : it->second;
    sim::NoteResult(v);
    return v;
  }
  void WriteBar(int bar, uint64_t off, uint32_t v) {
    TouchMmio(true);
    bars[bar].mem[off & ~uint64_t{3}] = v;
  }

  // The stateful search's view: the hardware state (PCI_COMMAND, PMCSR power
  // state, mid-reset, the config space pci_save_state() kept) and the BAR
  // contents, each BAR's words sorted by offset (absl's iteration order is
  // salted per process). The BAR layout is configuration: not written.
  void WriteState(sim::StateWriter& w) const;  // pci_device.cc

  // Identity of the device's MMIO for scheduling points: hardware state (decode,
  // power, reset) and BAR contents are one shared object.
  const void* mmio() const { return &mmio_tag_; }
  // Every read and write of that state (command, power, in_reset, BAR
  // contents) reports here: the step must have declared an access to mmio()
  // (sim/core/discipline.h). With `kernel_lock`: the power state, which the
  // kernel also reads under that lock (memory_lock), so its writers must both
  // declare mmio() and hold the lock.
  void TouchMmio(bool write, const sim::LockBase* kernel_lock = nullptr) const {
    if (kernel_lock)
      sim::Touch(&power, write, "power state", sim::Guard{kernel_lock, nullptr, &mmio_tag_});
    else
      sim::Touch(&mmio_tag_, write, "device registers");
  }

 private:
  int id_;
  std::string name_;
  std::string bdf_;
  bool reset_works_;
  bool no_command_memory_ = false;
  std::optional<uint16_t> saved_command_;
  char mmio_tag_ = 0;
};

}  // namespace vfiosim::pci
