// Machine: one simulated computer — PCI devices bound to vfio-pci, processes with
// their mms and fd tables, dma-bufs, importers and IOMMU mappings — and the
// user-visible operations of the scenario language (syscalls and ioctls), each a
// coroutine a simulated thread runs. The Machine is the table of processes, fds
// and mappings: an op resolves its handles and calls the kernel model (model/mm,
// model/vfio, model/dmabuf, model/iommu), which does the work. A Machine is
// rebuilt for every explored schedule; everything it creates lives until it is
// destroyed, so a released object can still be recognised when something
// touches it (use-after-free).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "model/arch.h"
#include "model/dmabuf/dma_buf.h"
#include "model/iommu/iommufd.h"
#include "model/iommu/vfio_iommu_type1.h"
#include "model/mm/mm.h"
#include "model/pci/pci_device.h"
#include "model/value.h"
#include "model/vfio/vfio_context.h"
#include "model/vfio/vfio_pci_core.h"
#include "sim/core/state_writer.h"
#include "sim/core/task.h"

namespace vfiosim {

struct BarSpec {
  bool present = false;
  uint64_t size = 0;
  bool mem64 = false, prefetch = false, io = false;
  std::optional<uint64_t> addr;
};

struct DeviceSpec {
  std::string name;
  std::string bdf;
  bool noreset = false;
  bool vf = false;  // an SR-IOV VF: no_command_memory
  std::array<BarSpec, pci::kNumBars> bars;
};

// Page-table memory one Machine may allocate (all its processes together):
// past it a fault that needs a new table gets VM_FAULT_OOM (the access returns
// ENOMEM) and fork() fails with ENOMEM, instead of the simulator growing without
// bound (a 1T BAR touched in 4K pages would need 2 GiB of tables). 64 MiB is
// about 16K last-level tables: 32 GiB of BAR mapped in 4K pages.
inline constexpr size_t kDefaultPageTableBudget = size_t{64} << 20;

struct MachineConfig {
  Arch arch = Arch::kX86_64;
  vfio::VfioContext ctx;
  std::vector<DeviceSpec> devices;
  size_t page_table_budget = kDefaultPageTableBudget;
};

// Physical addresses of the BARs of `devices`, [device][bar] (0 where absent): an
// explicit addr=, else the first naturally aligned gap at or above 512 GiB past
// the previous automatically placed BAR (when nothing is free up to 2^64, the
// first gap from 0), in declaration order. Returns false,
// with the first BAR that does not fit below 2^64 in *bad_device / *bad_bar,
// when the layout does not fit (the placements are then best-effort); the
// Machine uses the same layout, so Compile() refuses such a scenario.
bool PlaceBars(const std::vector<DeviceSpec>& devices, std::vector<std::array<uint64_t, pci::kNumBars>>* starts,
               int* bad_device = nullptr, int* bad_bar = nullptr);

// Everything the checker hears about (events, not state scans).
class MachineObserver : public mm::MmObserver, public vfio::VfioObserver, public iommu::Type1Observer {
 public:
  // mmap of BAR `bar` of `dev` failed with `err` (mmap-flag-lies).
  virtual void OnBarMmapResult(const pci::PciDevice& dev, int bar, int err) = 0;
  virtual void OnRegionInfo(const pci::PciDevice& dev, int bar, bool mmap) = 0;
};

struct Process {
  int id = 0;
  bool implicit = false;  // the owner of fds opened without `in`
  bool exited = false;    // exit_files() ran: part of the fd table's state
  std::optional<uint64_t> nofile;  // RLIMIT_NOFILE (`process nofile=<n>`); none: unlimited
  std::unique_ptr<mm::Mm> mm;
  std::vector<mm::File*> fds;  // nullptr once closed
};

// An IOVA mapping: VFIO type1 (PFNs resolved once, never invalidated) or
// iommufd (an importer of the dma-buf, dropped by move_notify).
struct IovaMapping {
  int id = 0;
  bool type1 = false;
  bool write = true;                      // type1: IOMMU_WRITE (prot=rw)
  std::vector<dmabuf::PhysRange> ranges;  // type1
  dmabuf::Attachment* att = nullptr;      // iommufd
  iommu::IommufdPages* pages = nullptr;   // iommufd
  const pci::PciDevice* target = nullptr;
};

class Machine {
 public:
  Machine(const MachineConfig& cfg, MachineObserver* obs);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // ---- handles: ids into the tables below ----
  struct FdRef {
    int proc;
    int fd;
  };

  // ---- the scenario language's ops ----
  Value OpProcess(std::optional<uint64_t> nofile = std::nullopt);
  sim::Task<Value> OpOpen(int device, std::optional<int> proc);
  sim::Task<Value> OpMmap(int proc, Value fd_handle, std::optional<int> bar, uint64_t offset,
                          std::optional<uint64_t> len, bool writable, std::optional<uint64_t> at);
  sim::Task<Value> OpMunmap(int proc, uint64_t addr, std::optional<uint64_t> len);
  sim::Task<Value> OpRead(int proc, uint64_t addr);
  sim::Task<Value> OpWrite(int proc, uint64_t addr, uint32_t value);
  sim::Task<Value> OpTouch(int proc, uint64_t addr, uint64_t len);
  sim::Task<Value> OpCommand(Value fd, bool mem);
  sim::Task<Value> OpReset(Value fd);
  sim::Task<Value> OpPower(Value fd, bool d3);
  sim::Task<Value> OpPmcsr(Value fd, bool d3);
  sim::Task<Value> OpInfo(Value fd, int bar);
  sim::Task<Value> OpExport(Value fd, int bar, std::vector<vfio::ExportRange> ranges);
  sim::Task<Value> OpAttach(Value buf, bool dynamic);
  sim::Task<Value> OpMap(Value att);
  sim::Task<Value> OpUnmap(Value att);
  sim::Task<Value> OpDma(Value att, uint64_t offset);
  sim::Task<Value> OpDetach(Value att);
  sim::Task<Value> OpRevoke(Value fd, Value buf);
  sim::Task<Value> OpFork(int proc);
  sim::Task<Value> OpClose(Value fd_or_buf);
  sim::Task<Value> OpExit(int proc);
  sim::Task<Value> OpIommuMap(int proc, uint64_t addr, uint64_t len, bool write);
  sim::Task<Value> OpIommufdMap(Value buf);
  sim::Task<Value> OpIommufdUnmap(Value iova);
  sim::Task<Value> OpPread(int proc, uint64_t buf, Value fd, int bar, uint64_t offset);
  sim::Task<Value> OpP2p(Value iova, uint64_t offset);

  // ---- state the checker and expectations read ----
  const MachineConfig& config() const { return cfg_; }
  const vfio::VfioContext& ctx() const { return ctx_; }
  std::deque<pci::PciDevice>& devices() { return devices_; }
  std::deque<vfio::VfioPciCoreDevice>& vdevs() { return vdevs_; }
  std::deque<Process>& processes() { return procs_; }
  std::deque<dmabuf::Attachment>& attachments() { return atts_; }
  std::deque<IovaMapping>& iovas() { return iovas_; }
  // The page size of the leaf mapping addr in proc (0 if none); mapped().
  uint64_t PageSize(int proc, uint64_t addr) const;
  // revoked(buf): the dma-buf behind a buf handle is revoked; false when the
  // handle names no open dma-buf (its fd closed, or not a buf handle).
  bool Revoked(Value buf) const;
  // The device, BAR and offset a physical address decodes to.
  struct Decoded {
    pci::PciDevice* dev;
    int bar;
    uint64_t off;
  };
  std::optional<Decoded> DecodePhys(uint64_t paddr);
  // Whether the scenario closed every fd and exited every process.
  bool AllClosedAndExited() const;
  // Objects still alive (for the leak invariant); empty if none.
  std::vector<std::string> LiveObjects() const;
  // Every VFIO dma-buf created so far.
  std::vector<vfio::VfioPciDmaBuf*> AllDmaBufs();
  // Describe a value for traces (`#3` -> `fd3(gpu)` etc. is done by sim/).

  // fdget(): the fd-table lookup — a scheduling point, since close() writes
  // the table — that pins the file for the syscall (a shared fd table makes
  // the kernel take a reference); FdPut() is fdput() of what FdGet(h) pinned,
  // which may be the last
  // reference. The scenario layer brackets every op on an fd with them.
  sim::Task<mm::File*> FdGet(Value h, bool write_table);
  // Two fds looked up in one step (an op on a device fd and a dma-buf fd).
  sim::Task<std::pair<mm::File*, mm::File*>> FdGet2(Value h1, Value h2);
  sim::Task<void> FdPut(Value h, mm::File* f);

  // The whole mutable state as canonical bytes, for the stateful search
  // (sim/core/state_writer.h): devices, VFIO devices with their files and
  // dma-bufs, processes (mms, page tables, fd tables), the fd handles,
  // attachments, IOVA mappings, iommufd pages, the page-table budget and the
  // id allocators. Reads only (model/machine_state.cc).
  void WriteState(sim::StateWriter& w) const;

 private:
  const void* FdTable(Value h) const;
  mm::File* ResolveFd(Value h) const;
  vfio::VfioPciCoreDevice* ResolveDevice(Value fd) const;
  dmabuf::DmaBuf* ResolveBuf(Value buf) const;
  dmabuf::Attachment* ResolveAtt(Value att) const;
  int InstallFd(int proc, mm::File* f);
  // get_unused_fd_flags() would fail with EMFILE: RLIMIT_NOFILE fds are open.
  bool FdTableFull(const Process& p) const;
  sim::Task<Value> InstallFdOrPut(int owner, mm::File* file);
  sim::Task<void> ExitFiles(Process& p);
  // A process's fd table (and `exited`, which changes with it) is touched only
  // in steps that declare it (sim/core/discipline.h).
  void TouchFds(const Process& p, bool write) const;
  Value AttachmentResult(int r);
  Process& NewProcess(bool implicit);
  // A user load/store (mm::user_access()) whose physical access goes to the
  // BAR the address decodes to.
  sim::Task<Value> CpuAccess(int proc, uint64_t addr, bool write, uint32_t value, const char* who);
  sim::Task<Value> AccessThroughSg(const std::vector<dmabuf::PhysRange>& sg, uint64_t offset, const void* obj,
                                   const char* who);

  MachineConfig cfg_;
  vfio::VfioContext ctx_;
  MachineObserver* obs_;
  // What the checker's mmap-flag-lies compares, `info`'s answers and failed BAR
  // mmaps, in the order they happen: both declare a write of this record at the
  // point before they report, so the explorer orders them against each other
  // like any shared state (the invariant is about their order: info said mmap,
  // *then* mmap failed). Only its address is used.
  char region_info_record_ = 0;
  mm::Geometry geometry_;
  // Before procs_: the page tables charge it until they are destroyed.
  mm::PageTableBudget pt_budget_;
  std::deque<pci::PciDevice> devices_;
  std::deque<vfio::VfioPciCoreDevice> vdevs_;
  std::deque<Process> procs_;
  std::vector<FdRef> fdrefs_;
  // files_struct->file_lock: guards fdrefs_ and the fd slots, which `vfiosim
  // stress` changes (close/reopen) while other threads resolve their fds.
  mutable std::mutex fd_lock_;
  std::deque<dmabuf::Attachment> atts_;
  std::deque<IovaMapping> iovas_;
  // Live as long as the Machine: a failed map leaves the attachment (and its
  // callbacks) on the dma-buf.
  std::deque<iommu::IommufdPages> iommufd_pages_;
  int next_dmabuf_id_ = 1;
};

}  // namespace vfiosim
