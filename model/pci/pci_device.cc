// PciDevice::WriteState(), for the stateful search (sim/core/state_writer.h).
#include "model/pci/pci_device.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace vfiosim::pci {

void PciDevice::WriteState(sim::StateWriter& w) const {
  w.Begin(&mmio_tag_, &power);  // read after TouchMmio() only
  w.U64(command.load(std::memory_order_relaxed));  // PCI_COMMAND
  w.U64(static_cast<uint64_t>(power.load(std::memory_order_relaxed)));  // pdev->current_state
  w.Bool(in_reset.load(std::memory_order_relaxed));
  w.Bool(no_command_memory_);  // pdev->no_command_memory
  w.Bool(saved_command_.has_value());  // pdev->saved_config_space
  if (saved_command_) w.U64(*saved_command_);
  for (const PciBar& b : bars) {
    std::vector<std::pair<uint64_t, uint32_t>> words(b.mem.begin(), b.mem.end());
    std::sort(words.begin(), words.end());
    w.U64(words.size());
    for (const auto& [off, v] : words) {
      w.U64(off);
      w.U64(v);
    }
  }
  w.End();
}

}  // namespace vfiosim::pci
