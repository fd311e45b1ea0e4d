// struct vfio_pci_core_device and the ioctls/file ops of a VFIO PCI device fd
// (drivers/vfio/pci/vfio_pci_core.c, vfio_pci_config.c, vfio_pci_dmabuf.c,
// include/linux/vfio_pci_core.h).
//
// Lock order, as in the kernel: dev_set->lock -> memory_lock (rwsem) -> dma_resv
// -> i_mmap_rwsem -> page-table lock; mmap_lock -> memory_lock in the fault path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/dmabuf/dma_buf.h"
#include "model/mm/file.h"
#include "model/mm/vma.h"
#include "model/pci/pci_device.h"
#include "model/vfio/vfio_context.h"
#include "sim/core/discipline.h"
#include "sim/core/state_writer.h"
#include "sim/core/sync.h"
#include "sim/core/task.h"

namespace vfiosim::vfio {

class VfioPciCoreDevice;
class BarMapping;

inline constexpr int kVfioPciOffsetShift = 40;  // VFIO_PCI_OFFSET_SHIFT
inline constexpr int kPgoffIndexShift = kVfioPciOffsetShift - 12;
inline constexpr uint64_t kPgoffMask = (uint64_t{1} << kPgoffIndexShift) - 1;
inline constexpr int kRomRegionIndex = 6;  // VFIO_PCI_ROM_REGION_INDEX
inline constexpr int kNumRegions = 9;      // VFIO_PCI_NUM_REGIONS

// enum { VFIO_PCI_DMABUF_OK, _TEMP_REVOKED, _PERM_REVOKED } (patch 8/9).
enum class RevokeStatus { kOk, kTempRevoked, kPermRevoked };

// struct vfio_pci_dma_buf: the exporter's private data of one dma-buf.
struct VfioPciDmaBuf {
  int id = 0;
  dmabuf::DmaBuf* dmabuf = nullptr;
  VfioPciCoreDevice* vdev = nullptr;       // NULL after vfio_pci_dma_buf_cleanup()
  VfioPciCoreDevice* orig_vdev = nullptr;  // for the checker and traces
  int bar = 0;
  std::vector<dmabuf::PhysRange> phys_vec;
  uint64_t size = 0;
  bool on_list = false;      // on vdev->dmabufs (memory_lock)
  bool from_mmap = false;    // created by vfio_pci_core_mmap_prep_dmabuf()
  mm::File* device_file = nullptr;  // BAR-mmap dma-bufs hold the device file
  bool freed = false;
  // vfio_pci_dma_buf_find_pfn() over phys_vec, of the machine's finder kind.
  std::unique_ptr<dmabuf::PfnFinder> finder;

  // The revoke status (and `vdev`): changed with memory_lock held for write
  // and the resv lock taken in the same step; read under either lock, or in a
  // step that declares the resv lock (a lock-free READ_ONCE, e.g. ->attach).
  RevokeStatus status() const {
    TouchStatus(false, /*returning=*/true);  // the caller learns only the status
    sim::NoteResult(static_cast<uint64_t>(status_));
    return status_;
  }
  void set_status(RevokeStatus s) {
    TouchStatus(true);
    status_ = s;
  }
  bool revoked() const { return status() != RevokeStatus::kOk; }
  // What revoked it (for traces: "MEM off", "reset", "low power", "revoke
  // ioctl", "cleanup"); set with the status.
  const char* revoke_why = "";
  // `returning`: the caller reports what it read (sim::TouchReturning).
  void TouchStatus(bool write, bool returning = false) const;
  // Sets phys_vec and size, builds the PFN finder and sizes the dma-buf.
  void SetRanges(std::vector<dmabuf::PhysRange> ranges);
  // The stateful search's view of struct vfio_pci_dma_buf, freed ones
  // included (their contents still tell a use after free).
  void WriteState(sim::StateWriter& w) const;

 private:
  RevokeStatus status_ = RevokeStatus::kOk;
};

// What the checker learns from the VFIO layer.
struct VfioObserver {
  virtual ~VfioObserver() = default;
  // A CPU load/store, importer DMA or peer p2p reaches BAR memory.
  virtual void OnMmioAccess(const pci::PciDevice& dev, int bar, uint64_t offset, const char* who) = 0;
  // An importer DMAs through a mapping move_notify invalidated.
  virtual void OnImporterAfterMove(const dmabuf::Attachment& att) = 0;
  // An object that was released is used.
  virtual void OnUseAfterFree(const char* what) = 0;
};

// A VFIO device fd (struct file of the vfio device cdev/group fd).
class VfioDeviceFile : public mm::File {
 public:
  VfioDeviceFile(VfioPciCoreDevice* vdev, mm::AddressSpace* inode_mapping)
      : mm::File(Kind::kVfioDevice, inode_mapping), vdev_(vdev) {}
  VfioPciCoreDevice* vdev() const { return vdev_; }
  // f_count and release state (the device is fixed at open).
  void WriteState(sim::StateWriter& w) const;
  // vfio_device_fops_mmap() -> vfio_pci_core_mmap().
  sim::Task<int> Mmap(mm::Vma& vma) override;

 protected:
  // vfio_device_fops_release() -> vfio_df_close() -> close_device on last close.
  sim::Task<void> Release() override;

 private:
  VfioPciCoreDevice* vdev_;
};

class VfioPciCoreDevice {
  std::string name_;  // first: the locks below view it

 public:
  VfioPciCoreDevice(pci::PciDevice* pdev, VfioContext* ctx);
  ~VfioPciCoreDevice();

  // The stateful search's view of struct vfio_pci_core_device: its locks,
  // open_count, the virtualised config, the dma-buf and vma lists, and every
  // file, dma-buf and exporter private it created (released ones included).
  void WriteState(sim::StateWriter& w) const;

  const std::string& name() const { return name_; }
  pci::PciDevice& pdev() { return *pdev_; }
  const pci::PciDevice& pdev() const { return *pdev_; }
  VfioContext& ctx() { return *ctx_; }
  const VfioContext& ctx() const { return *ctx_; }
  BarMapping& bar_mapping() { return *bar_mapping_; }
  const BarMapping& bar_mapping() const { return *bar_mapping_; }

  sim::Mutex dev_set_lock;   // vdev->vdev.dev_set->lock
  sim::RwSem memory_lock;    // vdev->memory_lock
  mm::AddressSpace inode_mapping;  // the per-device vfio_fs inode's i_mmap

  int open_count = 0;  // dev_set_lock
  void TouchOpenCount(bool write) const { sim::TouchLocked(&open_count, write, "open_count", dev_set_lock); }
  // Under memory_lock (write to change): dmabufs, deferred_release.
  void TouchMemoryLocked(bool write, const char* what) const {
    sim::TouchLocked(&memory_lock, write, what, memory_lock);
  }
  // vconfig_command and pm_runtime_engaged: changed under memory_lock (write)
  // in a step that declares the device registers (they change with them), so
  // a fault may read them under memory_lock, or a mutant's racy read in a step
  // that declares the registers.
  void TouchConfig(bool write) const {
    sim::Touch(&vconfig_command, write, "vconfig_command/pm_runtime_engaged",
               sim::Guard{&memory_lock, nullptr, pdev_->mmio()});
  }
  uint16_t vconfig_command = pci::kCommandMemory;  // the virtualised PCI_COMMAND
  bool pm_runtime_engaged = false;
  std::array<bool, pci::kNumBars> bar_mmap_supported{};
  // vfio_device_try_get/put_registration(): a refcount_t in the kernel, taken by
  // faults on different dma-bufs at once (free-running mode), hence atomic.
  std::atomic<int> registrations{1};
  std::list<VfioPciDmaBuf*> dmabufs;  // vdev->dmabufs, under memory_lock (write)
  // dma-bufs whose last reference vfio_pci_dma_buf_move() dropped: their
  // __fput() (->release, which takes memory_lock) runs from task_work after
  // up_write. Under memory_lock (write); see vfio_pci_memory_up_write().
  std::vector<mm::File*> deferred_release;
  // v5.8..v6.9 vdev->vma_list (11c4cd07ba11 "vfio-pci: Fault mmaps to enable vma
  // tracking", gone with aac6db75a9fc "vfio/pci: Use unmap_mapping_range()"):
  // the vmas a fault mapped, the ones vfio_pci_zap_and_vma_lock() zapped. Only
  // the fork-escapes-zap mutant keeps it (bar_mapping.cc); mainline zaps
  // through the inode's i_mmap. Under vma_lock (vdev->vma_lock).
  std::vector<const mm::Vma*> vma_list;
  std::mutex vma_lock;

  // __vfio_pci_memory_enabled(): below D3hot and (no_command_memory or vconfig
  // MEM set). The vf-memory-enforced mutant leaves out no_command_memory, as
  // before ebfa440ce38b "vfio/pci: Fix SR-IOV VF handling with MMIO blocking".
  bool memory_enabled() const {
    TouchConfig(false);
    pdev_->TouchMmio(false, &memory_lock);  // the kernel's view of the power state
    const bool no_cmd_mem = pdev_->no_command_memory() && !ctx_->bug(Bug::kVfMemoryEnforced);
    return pdev_->power < pci::PowerState::kD3hot && (no_cmd_mem || (vconfig_command & pci::kCommandMemory));
  }
  bool memory_lock_write_held() const { return memory_lock.write_held(); }

  // ---- objects the device creates (stable addresses for the model's lifetime) ----
  VfioDeviceFile* NewDeviceFile();
  VfioPciDmaBuf* NewDmaBufPriv();
  std::deque<VfioDeviceFile> files;
  std::deque<VfioPciDmaBuf> privs;
  std::deque<dmabuf::DmaBuf> bufs;
  int* next_dmabuf_id = nullptr;  // shared by the machine

 private:
  pci::PciDevice* pdev_;
  VfioContext* ctx_;
  std::unique_ptr<BarMapping> bar_mapping_;
};

// ---- the device fd's operations (each models the named kernel entry point) ----

// vfio_df_open() -> (first open) vfio_pci_core_enable(). Returns the new fd's file.
sim::Task<VfioDeviceFile*> vfio_device_open(VfioPciCoreDevice& vdev);
// vfio_pci_core_close_device(): dma-buf cleanup, then vfio_pci_core_disable().
sim::Task<void> vfio_pci_core_close_device(VfioPciCoreDevice& vdev);
// VFIO_DEVICE_GET_REGION_INFO for a BAR: true when VFIO_REGION_INFO_FLAG_MMAP.
bool vfio_pci_region_info_mmap(const VfioPciCoreDevice& vdev, int bar);
// vfio_basic_config_write() of PCI_COMMAND with only MEM changed.
sim::Task<int> vfio_pci_write_command_mem(VfioPciCoreDevice& vdev, bool mem);
// VFIO_DEVICE_RESET: vfio_pci_ioctl_reset().
sim::Task<int> vfio_pci_ioctl_reset(VfioPciCoreDevice& vdev);
// VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY / _EXIT.
sim::Task<int> vfio_pci_runtime_pm_entry(VfioPciCoreDevice& vdev);
sim::Task<int> vfio_pci_runtime_pm_exit(VfioPciCoreDevice& vdev);
// vfio_pm_config_write() of PMCSR's PowerState field (D3hot or D0):
// vfio_lock_and_set_power_state() (2b2c651baf1c).
sim::Task<int> vfio_pm_config_write(VfioPciCoreDevice& vdev, bool d3hot);
// VFIO_DEVICE_FEATURE_DMA_BUF: vfio_pci_core_feature_dma_buf(). Returns the
// dma-buf or -errno (as `err`).
struct ExportRange {
  uint64_t offset;
  uint64_t len;
};
sim::Task<dmabuf::DmaBuf*> vfio_pci_core_feature_dma_buf(VfioPciCoreDevice& vdev, int bar,
                                                          std::vector<ExportRange> ranges, int* err);
// VFIO_DEVICE_PCI_DMABUF_REVOKE (patch 8/9).
sim::Task<int> vfio_pci_dma_buf_revoke_ioctl(VfioPciCoreDevice& vdev, dmabuf::DmaBuf& buf);

// The registration both dma-buf constructors end with (export:
// vfio_pci_core_feature_dma_buf(); BAR mmap: vfio_pci_core_mmap_prep_dmabuf()):
// takes a device registration and, under memory_lock and the resv lock, sets
// the revoke status from the memory state (`why`: the reason traces give if
// revoked) and puts the buffer on vdev->dmabufs.
sim::Task<void> vfio_pci_dma_buf_register(VfioPciCoreDevice& vdev, VfioPciDmaBuf& priv, const char* why);
// vfio_pci_dma_buf_move(): memory_lock held for write; revoke or un-revoke every
// dma-buf of the device; `zap` false only for the zap-before-lock mutant, which
// zapped already.
sim::Task<void> vfio_pci_dma_buf_move(VfioPciCoreDevice& vdev, bool revoked, const char* why = "", bool zap = true);
// up_write(&vdev->memory_lock) after vfio_pci_dma_buf_move(), then the
// task_work the move left: the __fput() of dma-bufs whose last reference it put.
sim::Task<void> vfio_pci_memory_up_write(VfioPciCoreDevice& vdev);
// vfio_pci_dma_buf_cleanup(): close_device's permanent revoke of every dma-buf.
sim::Task<void> vfio_pci_dma_buf_cleanup(VfioPciCoreDevice& vdev);

}  // namespace vfiosim::vfio
