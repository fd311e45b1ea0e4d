// drivers/vfio/pci/vfio_pci_config.c (PCI_COMMAND writes) and the runtime-PM
// low-power features of vfio_pci_core.c.
#include "model/errno.h"
#include "model/vfio/bar_mapping.h"
#include "model/vfio/vfio_pci_core.h"
#include "sim/core/thread.h"

namespace vfiosim::vfio {

// vfio_basic_config_write() for PCI_COMMAND: any write with MEM=0 zaps and
// revokes (even when MEM was already 0); the physical register and the
// virtualised vconfig are updated under memory_lock (write).
sim::Task<int> vfio_pci_write_command_mem(VfioPciCoreDevice& vdev, bool mem) {
  sim::FuncScope f("vfio_basic_config_write");
  pci::PciDevice& pdev = vdev.pdev();
  if (!mem) {
    co_await vdev.bar_mapping().ZapAndDownWriteMemoryLock(vdev);
    co_await vfio_pci_dma_buf_move(vdev, true, "MEM off");
  } else {
    co_await vdev.memory_lock.LockWrite();
  }
  {
    sim::FuncScope w("pci_user_write_config_word");
    co_await sim::Access(pdev.mmio(), true, "mmio");
    pdev.TouchMmio(true);
    vdev.TouchConfig(true);
    const uint16_t bit = pci::kCommandMemory;
    pdev.WriteCommandMem(mem);  // a VF ignores it (no_command_memory)
    vdev.vconfig_command = mem ? (vdev.vconfig_command | bit) : (vdev.vconfig_command & static_cast<uint16_t>(~bit));
  }
  if (vdev.memory_enabled()) co_await vfio_pci_dma_buf_move(vdev, false);
  co_await vfio_pci_memory_up_write(vdev);
  co_return 0;
}

// vfio_pm_config_write() -> vfio_lock_and_set_power_state(), added by
// 2b2c651baf1c "vfio/pci: Invalidate mmaps and block the access in D3hot power
// state" (v5.19): entering D3hot zaps and revokes under memory_lock (write) like
// MEM=0; D0 only takes the lock. Then vfio_pci_set_power_state(), and un-revoke
// if memory is enabled. The pmcsr-d3-no-zap mutant takes the lock without the
// zap and revoke for D3hot, as vfio_pm_config_write() did before that commit.
sim::Task<int> vfio_pm_config_write(VfioPciCoreDevice& vdev, bool d3hot) {
  sim::FuncScope f("vfio_lock_and_set_power_state");
  if (d3hot && !vdev.ctx().bug(Bug::kPmcsrD3NoZap)) {
    co_await vdev.bar_mapping().ZapAndDownWriteMemoryLock(vdev);
    co_await vfio_pci_dma_buf_move(vdev, true);
  } else {
    co_await vdev.memory_lock.LockWrite();
  }
  {
    sim::FuncScope s("vfio_pci_set_power_state");
    co_await sim::Access(vdev.pdev().mmio(), true, "mmio");
    vdev.pdev().TouchMmio(true, &vdev.memory_lock);
    vdev.pdev().power = d3hot ? pci::PowerState::kD3hot : pci::PowerState::kD0;
  }
  if (vdev.memory_enabled()) co_await vfio_pci_dma_buf_move(vdev, false);
  co_await vfio_pci_memory_up_write(vdev);
  co_return 0;
}

// vfio_pci_runtime_pm_entry(): zap+lock, revoke; engaged; the device may now
// runtime-suspend (modelled as at once: D3hot).
sim::Task<int> vfio_pci_runtime_pm_entry(VfioPciCoreDevice& vdev) {
  sim::FuncScope f("vfio_pci_runtime_pm_entry");
  co_await vdev.bar_mapping().ZapAndDownWriteMemoryLock(vdev);
  co_await vfio_pci_dma_buf_move(vdev, true, "low power");
  vdev.TouchConfig(false);
  if (vdev.pm_runtime_engaged) {
    co_await vfio_pci_memory_up_write(vdev);
    co_return -kEINVAL;
  }
  {
    sim::FuncScope s("vfio_pci_core_runtime_suspend");
    co_await sim::Access(vdev.pdev().mmio(), true, "mmio");
    vdev.pdev().TouchMmio(true, &vdev.memory_lock);
    vdev.TouchConfig(true);
    vdev.pm_runtime_engaged = true;
    vdev.pdev().power = pci::PowerState::kD3hot;
  }
  co_await vfio_pci_memory_up_write(vdev);
  co_return 0;
}

// vfio_pci_runtime_pm_exit(): resume to D0, un-revoke if memory is enabled; PTEs
// are not re-populated (the next access faults).
sim::Task<int> vfio_pci_runtime_pm_exit(VfioPciCoreDevice& vdev) {
  sim::FuncScope f("vfio_pci_runtime_pm_exit");
  co_await vdev.memory_lock.LockWrite();
  vdev.TouchConfig(false);
  if (vdev.pm_runtime_engaged) {
    sim::FuncScope s("__vfio_pci_runtime_pm_exit");
    co_await sim::Access(vdev.pdev().mmio(), true, "mmio");
    vdev.pdev().TouchMmio(true, &vdev.memory_lock);
    vdev.TouchConfig(true);
    vdev.pm_runtime_engaged = false;
    vdev.pdev().power = pci::PowerState::kD0;
  }
  if (vdev.memory_enabled()) co_await vfio_pci_dma_buf_move(vdev, false);
  co_await vfio_pci_memory_up_write(vdev);
  co_return 0;
}

}  // namespace vfiosim::vfio
