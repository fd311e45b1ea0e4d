// BAR access through the device fd: pread() on a BAR region
// (drivers/vfio/pci/vfio_pci_rdwr.c).
#pragma once

#include <cstdint>
#include <functional>

#include "model/vfio/vfio_pci_core.h"
#include "sim/core/task.h"

namespace vfiosim::vfio {

// The copy of the value read out to the user buffer: copy_to_user(), which may
// fault (on a BAR mmap: vfio's own fault handler). 0 or -EFAULT.
using CopyToUser = std::function<sim::Task<int>(uint32_t value)>;

// vfio_pci_rw() -> vfio_pci_bar_rw() -> vfio_pci_core_do_io_rw() for one aligned
// 4-byte read of `bar` at `offset`: the value, or -EINVAL / -EIO (memory
// disabled) / -EFAULT (the copy out faulted).
sim::Task<int64_t> vfio_pci_bar_read(VfioPciCoreDevice& vdev, int bar, uint64_t offset,
                                     const CopyToUser& copy_to_user);

}  // namespace vfiosim::vfio
