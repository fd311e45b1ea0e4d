#include "model/machine.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "model/mm/access.h"
#include "model/mm/mmap.h"
#include "model/vfio/vfio_pci_rdwr.h"
#include "sim/core/thread.h"

namespace vfiosim {
namespace {
constexpr uint64_t kBarBase = uint64_t{0x80} << 32;  // where BARs are placed (512 GiB)
}

bool PlaceBars(const std::vector<DeviceSpec>& devices, std::vector<std::array<uint64_t, pci::kNumBars>>* starts,
               int* bad_device, int* bad_bar) {
  // 128-bit arithmetic: a candidate address only moves up, and one past 2^64
  // means the BAR does not fit (64-bit wrap-around would overlap BARs, or
  // bounce between two of them for ever).
  using u128 = unsigned __int128;
  constexpr u128 kTop = u128{1} << 64;
  auto align_up = [](u128 a, uint64_t size) { return (a + size - 1) / size * size; };
  std::vector<std::pair<u128, u128>> used;  // [lo, hi)
  for (const DeviceSpec& d : devices)
    for (const BarSpec& b : d.bars)
      if (b.present && b.addr) used.emplace_back(*b.addr, u128{*b.addr} + b.size);
  starts->assign(devices.size(), {});
  bool fits = true;
  u128 next = kBarBase;
  for (size_t di = 0; di < devices.size(); ++di) {
    for (int i = 0; i < pci::kNumBars; ++i) {
      const BarSpec& s = devices[di].bars[i];
      if (!s.present) continue;
      if (s.addr) {
        (*starts)[di][i] = *s.addr;
        continue;
      }
      const uint64_t size = std::max<uint64_t>(s.size, 1);
      // First fit at or above `from`.
      auto fit = [&](u128 from) {
        u128 a = align_up(from, size);
        for (bool moved = true; moved && a + size <= kTop;) {
          moved = false;
          for (auto [lo, hi] : used)
            if (a < hi && lo < a + size) {
              a = align_up(hi, size);
              moved = true;
            }
        }
        return a;
      };
      u128 a = fit(next);
      if (a + size > kTop) a = fit(0);  // nothing above: the first gap from 0
      if (a + size > kTop) {
        if (fits) {
          if (bad_device) *bad_device = static_cast<int>(di);
          if (bad_bar) *bad_bar = i;
        }
        fits = false;
        a = 0;  // best effort; Compile() refuses the layout
      }
      (*starts)[di][i] = static_cast<uint64_t>(a);
      next = a + size;
      used.emplace_back(a, a + size);
    }
  }
  return fits;
}

Machine::Machine(const MachineConfig& cfg, MachineObserver* obs)
    : cfg_(cfg),
      ctx_(cfg.ctx),
      obs_(obs),
      geometry_(mm::Geometry::ForArch(cfg.arch)),
      pt_budget_(cfg.page_table_budget) {
  ctx_.observer = obs;
  // Naturally aligned, non-overlapping BAR addresses, in declaration order
  // (explicit addr= values were validated not to overlap).
  std::vector<std::array<uint64_t, pci::kNumBars>> starts;
  PlaceBars(cfg.devices, &starts);
  int id = 0;
  for (const DeviceSpec& d : cfg.devices) {
    pci::PciDevice& dev = devices_.emplace_back(id++, d.name, d.bdf, !d.noreset);
    if (d.vf) dev.set_virtfn();
    for (int i = 0; i < pci::kNumBars; ++i) {
      const BarSpec& s = d.bars[i];
      if (!s.present) continue;
      pci::PciBar& b = dev.bars[i];
      b.present = true;
      b.size = s.size;
      b.mem64 = s.mem64;
      b.prefetch = s.prefetch;
      b.io = s.io;
      b.start = starts[static_cast<size_t>(id - 1)][i];
    }
  }
  for (pci::PciDevice& dev : devices_) {
    vfio::VfioPciCoreDevice& v = vdevs_.emplace_back(&dev, &ctx_);
    v.next_dmabuf_id = &next_dmabuf_id_;
  }
}

Machine::~Machine() = default;

Process& Machine::NewProcess(bool implicit) {
  Process& p = procs_.emplace_back();
  p.id = static_cast<int>(procs_.size()) - 1;
  p.implicit = implicit;
  mm::HugePfnmap huge{ctx_.config.pmd_pfnmap, ctx_.config.pud_pfnmap};
  p.mm = std::make_unique<mm::Mm>(p.id, geometry_, huge, obs_);
  p.mm->bug_remove_vma_leaks_file = ctx_.bug(Bug::kLeakOnMunmap);
  p.mm->pt.set_budget(&pt_budget_);
  return p;
}

Value Machine::OpProcess(std::optional<uint64_t> nofile) {
  Process& p = NewProcess(false);
  p.nofile = nofile;
  return Value::Handle(static_cast<uint64_t>(p.id));
}

bool Machine::FdTableFull(const Process& p) const {
  if (!p.nofile) return false;
  TouchFds(p, false);
  const auto open = static_cast<uint64_t>(std::count_if(p.fds.begin(), p.fds.end(), [](mm::File* f) { return f; }));
  return open >= *p.nofile;
}

void Machine::TouchFds(const Process& p, bool write) const { sim::Touch(&p.fds, write, "fdtable"); }

int Machine::InstallFd(int proc, mm::File* f) {
  std::lock_guard<std::mutex> l(fd_lock_);
  Process& p = procs_[proc];
  TouchFds(p, true);
  p.fds.push_back(f);
  fdrefs_.push_back(FdRef{proc, static_cast<int>(p.fds.size()) - 1});
  return static_cast<int>(fdrefs_.size()) - 1;
}

mm::File* Machine::ResolveFd(Value h) const {
  std::lock_guard<std::mutex> l(fd_lock_);
  if (h.kind != Value::Kind::kHandle || h.v >= fdrefs_.size()) return nullptr;
  const FdRef& r = fdrefs_[h.v];
  TouchFds(procs_[r.proc], false);
  return procs_[r.proc].fds[r.fd];
}

const void* Machine::FdTable(Value h) const {
  std::lock_guard<std::mutex> l(fd_lock_);
  if (h.kind != Value::Kind::kHandle || h.v >= fdrefs_.size()) return nullptr;
  return &procs_[fdrefs_[h.v].proc].fds;
}

sim::Task<mm::File*> Machine::FdGet(Value h, bool write_table) {
  const void* table = FdTable(h);
  if (!table) co_return nullptr;
  co_await sim::Access(table, write_table, "fdtable");
  mm::File* f = ResolveFd(h);
  if (f) f->get_file();
  co_return f;
}

sim::Task<std::pair<mm::File*, mm::File*>> Machine::FdGet2(Value h1, Value h2) {
  const void* t1 = FdTable(h1);
  const void* t2 = FdTable(h2);
  if (!t1 && !t2) co_return std::pair<mm::File*, mm::File*>{nullptr, nullptr};
  co_await sim::Access2(t1 ? t1 : t2, false, t1 && t2 ? t2 : nullptr, false, "fdtable");
  mm::File* f1 = t1 ? ResolveFd(h1) : nullptr;
  mm::File* f2 = t2 ? ResolveFd(h2) : nullptr;
  if (f1) f1->get_file();
  if (f2) f2->get_file();
  co_return std::pair{f1, f2};
}

sim::Task<void> Machine::FdPut(Value h, mm::File* f) {
  // A step that reads the table: while the slot still holds the file, the
  // table's reference keeps the count above zero, so dropping the pin
  // commutes with every other get and put of the file (only close and exit,
  // which write the table, conflict). Once the slot is gone it is a real
  // fput(), a point of its own, which may run ->release.
  const void* table = FdTable(h);
  co_await sim::Access(table, false, "fdtable");
  if (ResolveFd(h) == f) {
    f->put_pinned();
    co_return;
  }
  co_await f->fput();
}

vfio::VfioPciCoreDevice* Machine::ResolveDevice(Value fd) const {
  mm::File* f = ResolveFd(fd);
  if (!f || f->kind() != mm::File::Kind::kVfioDevice) return nullptr;
  return static_cast<vfio::VfioDeviceFile*>(f)->vdev();
}

dmabuf::DmaBuf* Machine::ResolveBuf(Value buf) const {
  mm::File* f = ResolveFd(buf);
  if (!f || f->kind() != mm::File::Kind::kDmaBuf) return nullptr;
  return static_cast<dmabuf::DmaBuf*>(f);
}

dmabuf::Attachment* Machine::ResolveAtt(Value att) const {
  if (att.kind != Value::Kind::kHandle || att.v >= atts_.size()) return nullptr;
  return const_cast<dmabuf::Attachment*>(&atts_[att.v]);
}

sim::Task<Value> Machine::OpOpen(int device, std::optional<int> proc) {
  sim::FuncScope f("vfio_device_fops_open");
  int owner = proc ? *proc : NewProcess(true).id;
  if (proc) {  // a process that has exited opens nothing
    co_await sim::Access(&procs_[owner].fds, false, "fdtable");
    TouchFds(procs_[owner], false);
    if (procs_[owner].exited) co_return Value::Err(kEBADF);
    // do_sys_openat2(): get_unused_fd_flags() before do_filp_open().
    if (FdTableFull(procs_[owner])) co_return Value::Err(kEMFILE);
  }
  vfio::VfioDeviceFile* file = co_await vfio::vfio_device_open(vdevs_[device]);
  co_await sim::Access(&procs_[owner].fds, true, "fdtable");  // fd_install()
  const Value r = co_await InstallFdOrPut(owner, file);
  if (r == Value::Err(kEMFILE)) co_await file->fput();
  co_return r;
}

sim::Task<Value> Machine::InstallFdOrPut(int owner, mm::File* file) {
  // In the step that declared the table: an exit that emptied it meanwhile
  // gets no new fd (it would never be closed); the file is put instead.
  TouchFds(procs_[owner], false);
  if (procs_[owner].exited) {
    co_await file->fput();
    co_return Value::Err(kEBADF);
  }
  // get_unused_fd_flags(): EMFILE at RLIMIT_NOFILE. The caller's reference is
  // not consumed then; the callers put it (vfio_device_fops_open: fput,
  // vfio_pci_core_feature_dma_buf: dma_buf_put).
  if (FdTableFull(procs_[owner])) co_return Value::Err(kEMFILE);
  co_return Value::Handle(static_cast<uint64_t>(InstallFd(owner, file)));
}

sim::Task<Value> Machine::OpMmap(int proc, Value fd_handle, std::optional<int> bar, uint64_t offset,
                                 std::optional<uint64_t> len, bool writable, std::optional<uint64_t> at) {
  sim::FuncScope f("sys_mmap");
  Process& p = procs_[proc];
  mm::File* file = ResolveFd(fd_handle);
  if (!file) co_return Value::Err(kEBADF);
  if (offset & 4095) co_return Value::Err(kEINVAL);
  mm::MmapRequest req;
  req.writable = writable;
  if (at) {
    req.fixed = true;
    req.addr = *at;
  }
  const pci::PciDevice* dev = nullptr;
  if (file->kind() == mm::File::Kind::kVfioDevice) {
    vfio::VfioPciCoreDevice* vdev = static_cast<vfio::VfioDeviceFile*>(file)->vdev();
    dev = &vdev->pdev();
    const int index = bar.value_or(0);
    if (index < 0 || index >= pci::kNumBars) co_return Value::Err(kEINVAL);
    const uint64_t bar_size = dev->bars[index].size;
    req.len = len ? *len : (offset < bar_size ? bar_size - offset : 0);
    req.pgoff = (static_cast<uint64_t>(index) << vfio::kPgoffIndexShift) + (offset >> 12);
  } else {
    auto* buf = static_cast<dmabuf::DmaBuf*>(file);
    req.len = len ? *len : (offset < buf->size() ? buf->size() - offset : 0);
    req.pgoff = offset >> 12;
  }
  if (req.len == 0) co_return Value::Err(kEINVAL);
  req.len = (req.len + 4095) & ~uint64_t{4095};
  const int64_t r = co_await mm::do_mmap(*p.mm, *file, req);
  // A failure is what mmap-flag-lies checks against earlier `info` answers: a
  // point that writes the record orders it against them (region_info_record_).
  if (dev && r < 0 && r != -kEAGAIN) co_await sim::Access(&region_info_record_, true, "region info");
  if (dev && obs_) obs_->OnBarMmapResult(*dev, bar.value_or(0), r < 0 ? static_cast<int>(-r) : 0);
  if (r < 0) co_return Value::Err(static_cast<int>(-r));
  co_return Value::Int(static_cast<uint64_t>(r));
}

sim::Task<Value> Machine::OpMunmap(int proc, uint64_t addr, std::optional<uint64_t> len) {
  Process& p = procs_[proc];
  uint64_t l = 0;
  if (len) {
    l = *len;
  } else {
    // The whole mapping at addr (the language's shorthand): looked up under
    // mmap_lock, which munmap then takes again.
    co_await p.mm->mmap_lock.LockRead();
    mm::Vma* v = p.mm->VmaLookup(addr);
    l = v ? v->vm_end - addr : 0;
    p.mm->mmap_lock.UnlockRead();
    if (!v) co_return Value::Err(kEINVAL);
  }
  const int r = co_await mm::do_munmap(*p.mm, addr, l, /*user=*/true);
  co_return Value::FromRet(r);
}

std::optional<Machine::Decoded> Machine::DecodePhys(uint64_t paddr) {
  for (pci::PciDevice& d : devices_)
    if (auto hit = d.Decode(paddr)) return Decoded{&d, hit->first, hit->second};
  return std::nullopt;
}

sim::Task<Value> Machine::CpuAccess(int proc, uint64_t va, bool write, uint32_t value, const char* who) {
  Value r = Value::Ok();
  // The access at the end of the walk: the physical address decodes to a BAR
  // (MMIO, a master abort while decode is off) or to nothing.
  const auto mmio = [&](uint64_t paddr) -> sim::Task<void> {
    std::optional<Decoded> d = DecodePhys(paddr);
    if (!d) {  // not BAR memory (a bad PTE: pfn-out-of-range already said so)
      r = Value::Int(0xffffffff);
      co_return;
    }
    co_await sim::Access(d->dev->mmio(), write, "mmio");
    if (obs_) obs_->OnMmioAccess(*d->dev, d->bar, d->off, who);
    if (!d->dev->decode_enabled()) {
      r = write ? Value::Ok() : Value::Int(0xffffffff);  // master abort
    } else if (write) {
      d->dev->WriteBar(d->bar, d->off, value);
    } else {
      r = Value::Int(d->dev->ReadBar(d->bar, d->off));
    }
  };
  const mm::UserAccessResult ar = co_await mm::user_access(*procs_[proc].mm, va, write, mmio);
  switch (ar) {
    case mm::UserAccessResult::kDone: co_return r;
    case mm::UserAccessResult::kSigsegv: co_return Value::Sig(kSIGSEGV);
    case mm::UserAccessResult::kSigbus: co_return Value::Sig(kSIGBUS);
    case mm::UserAccessResult::kOom: co_return Value::Err(kENOMEM);
  }
  co_return r;
}

sim::Task<Value> Machine::OpRead(int proc, uint64_t addr) { return CpuAccess(proc, addr, false, 0, "cpu"); }
sim::Task<Value> Machine::OpWrite(int proc, uint64_t addr, uint32_t value) {
  return CpuAccess(proc, addr, true, value, "cpu");
}

sim::Task<Value> Machine::OpTouch(int proc, uint64_t addr, uint64_t len) {
  const uint64_t first = addr & ~uint64_t{4095};
  // A range that wraps past the top of the address space runs into unmapped
  // pages (SIGSEGV) before it gets there.
  const uint64_t end = addr + len < addr ? UINT64_MAX : addr + len;
  for (uint64_t va = first; va < end; va += 4096) {
    Value r = co_await CpuAccess(proc, va, false, 0, "cpu");
    if (r.failed()) co_return r;
    if (va + 4096 < va) break;
  }
  co_return Value::Ok();
}

sim::Task<Value> Machine::OpCommand(Value fd, bool mem) {
  vfio::VfioPciCoreDevice* vdev = ResolveDevice(fd);
  if (!vdev) co_return Value::Err(kEBADF);
  co_return Value::FromRet(co_await vfio::vfio_pci_write_command_mem(*vdev, mem));
}

// read(fd, buf, 4, VFIO_PCI_INDEX_TO_OFFSET(bar) + offset) by a thread of
// `proc`: the copy out is a store to `buf` from kernel mode, which takes the
// fault path (exc_page_fault() -> handle_mm_fault()) and fails with -EFAULT
// where a user store would get a signal.
sim::Task<Value> Machine::OpPread(int proc, uint64_t buf, Value fd, int bar, uint64_t offset) {
  vfio::VfioPciCoreDevice* vdev = ResolveDevice(fd);
  if (!vdev) co_return Value::Err(kEBADF);
  const vfio::CopyToUser copy_to_user = [this, proc, buf](uint32_t value) -> sim::Task<int> {
    sim::FuncScope f("copy_to_user");
    const Value r = co_await CpuAccess(proc, buf, true, value, "copy_to_user");
    co_return r.failed() ? -kEFAULT : 0;
  };
  const int64_t r = co_await vfio::vfio_pci_bar_read(*vdev, bar, offset, copy_to_user);
  co_return r < 0 ? Value::Err(static_cast<int>(-r)) : Value::Int(static_cast<uint64_t>(r));
}

sim::Task<Value> Machine::OpReset(Value fd) {
  vfio::VfioPciCoreDevice* vdev = ResolveDevice(fd);
  if (!vdev) co_return Value::Err(kEBADF);
  co_return Value::FromRet(co_await vfio::vfio_pci_ioctl_reset(*vdev));
}

sim::Task<Value> Machine::OpPower(Value fd, bool d3) {
  vfio::VfioPciCoreDevice* vdev = ResolveDevice(fd);
  if (!vdev) co_return Value::Err(kEBADF);
  const int r = d3 ? co_await vfio::vfio_pci_runtime_pm_entry(*vdev) : co_await vfio::vfio_pci_runtime_pm_exit(*vdev);
  co_return Value::FromRet(r);
}

sim::Task<Value> Machine::OpPmcsr(Value fd, bool d3) {
  vfio::VfioPciCoreDevice* vdev = ResolveDevice(fd);
  if (!vdev) co_return Value::Err(kEBADF);
  co_return Value::FromRet(co_await vfio::vfio_pm_config_write(*vdev, d3));
}

sim::Task<Value> Machine::OpInfo(Value fd, int bar) {
  vfio::VfioPciCoreDevice* vdev = ResolveDevice(fd);
  if (!vdev) co_return Value::Err(kEBADF);
  if (bar < 0 || bar >= pci::kNumBars) co_return Value::Err(kEINVAL);
  const bool mmap = vfio::vfio_pci_region_info_mmap(*vdev, bar);  // a function of the configuration
  co_await sim::Access(&region_info_record_, true, "region info");  // ordered against failed mmaps
  if (obs_) obs_->OnRegionInfo(vdev->pdev(), bar, mmap);
  co_return Value{mmap ? Value::Kind::kMmap : Value::Kind::kNommap, 0};
}

sim::Task<Value> Machine::OpExport(Value fd, int bar, std::vector<vfio::ExportRange> ranges) {
  vfio::VfioPciCoreDevice* vdev = ResolveDevice(fd);
  if (!vdev) co_return Value::Err(kEBADF);
  int err = 0;
  dmabuf::DmaBuf* buf = co_await vfio::vfio_pci_core_feature_dma_buf(*vdev, bar, std::move(ranges), &err);
  if (!buf) co_return Value::Err(err);
  int owner;
  {
    std::lock_guard<std::mutex> l(fd_lock_);
    owner = fdrefs_[fd.v].proc;
  }
  co_await sim::Access(&procs_[owner].fds, true, "fdtable");  // fd_install()
  const Value r = co_await InstallFdOrPut(owner, buf);  // dma_buf_fd()
  if (r != Value::Err(kEMFILE)) co_return r;
  // dma_buf_fd() failed: "dma_buf_put() now frees priv", through
  // vfio_pci_dma_buf_release(), which puts the registration.
  auto* priv = static_cast<vfio::VfioPciDmaBuf*>(buf->priv());
  co_await buf->fput();
  if (ctx_.bug(Bug::kExportFdFailDoublePut)) {
    // Before e98137f0a874 "vfio/pci: Fix double free in dma-buf feature" the
    // error path fell through the unwind chain after dma_buf_put():
    // err_dev_put: vfio_device_put_registration() a second time, err_free_phys:
    // kfree(priv->phys_vec) and kfree(priv), which the release freed.
    vdev->registrations--;
    if (priv->freed && obs_) obs_->OnUseAfterFree("vfio_pci_dma_buf (kfree(priv->phys_vec) after dma_buf_put())");
  }
  co_return r;
}

sim::Task<Value> Machine::OpAttach(Value bufh, bool dynamic) {
  dmabuf::DmaBuf* buf = ResolveBuf(bufh);
  if (!buf) co_return Value::Err(kEBADF);
  dmabuf::Attachment& att = atts_.emplace_back();
  att.id = static_cast<int>(atts_.size()) - 1;
  att.ignores_move = ctx_.bug(Bug::kImporterIgnoresMove);
  const int r = co_await dmabuf::dma_buf_attach(*buf, att, dynamic);
  if (r) co_return Value::Err(-r);
  co_return Value::Handle(static_cast<uint64_t>(att.id));
}

sim::Task<Value> Machine::OpMap(Value atth) {
  dmabuf::Attachment* att = ResolveAtt(atth);
  if (!att) co_return Value::Err(kEBADF);
  co_return AttachmentResult(co_await dmabuf::dma_buf_map_attachment(*att));
}

Value Machine::AttachmentResult(int r) {
  // -EBADF: the attachment was detached already (the importer uses it after
  // dma_buf_detach() freed it).
  if (r == -kEBADF && obs_) obs_->OnUseAfterFree("attachment");
  return Value::FromRet(r);
}

sim::Task<Value> Machine::OpUnmap(Value atth) {
  dmabuf::Attachment* att = ResolveAtt(atth);
  if (!att) co_return Value::Err(kEBADF);
  co_return AttachmentResult(co_await dmabuf::dma_buf_unmap_attachment(*att));
}

sim::Task<Value> Machine::AccessThroughSg(const std::vector<dmabuf::PhysRange>& sg, uint64_t offset,
                                          const void* obj, const char* who) {
  (void)obj;
  uint64_t start = 0;
  for (const dmabuf::PhysRange& r : sg) {
    if (offset >= start && offset - start < r.len) {
      std::optional<Decoded> d = DecodePhys(r.paddr + (offset - start));
      if (!d) co_return Value::Err(kEIO);
      if (obs_) obs_->OnMmioAccess(*d->dev, d->bar, d->off, who);
      if (!d->dev->decode_enabled()) co_return Value::Int(0xffffffff);
      co_return Value::Int(d->dev->ReadBar(d->bar, d->off));
    }
    start += r.len;
  }
  co_return Value::Err(kEINVAL);
}

sim::Task<Value> Machine::OpDma(Value atth, uint64_t offset) {
  sim::FuncScope f("importer_dma");
  dmabuf::Attachment* att = ResolveAtt(atth);
  if (!att) co_return Value::Err(kEBADF);
  auto* priv = static_cast<vfio::VfioPciDmaBuf*>(att->dmabuf->priv());
  const pci::PciDevice& dev = priv->orig_vdev->pdev();
  // One indivisible step: the importer's mapping and the device's MMIO.
  co_await sim::Access2(att, false, dev.mmio(), false, "dma");
  att->Touch(false);
  if (!att->attached) {
    if (obs_) obs_->OnUseAfterFree("attachment");
    co_return Value::Err(kEIO);
  }
  if (!att->mapped) co_return Value::Err(kEIO);
  if (att->invalidated && obs_) obs_->OnImporterAfterMove(*att);
  co_return co_await AccessThroughSg(att->sgt, offset, att, "dma");
}

sim::Task<Value> Machine::OpDetach(Value atth) {
  dmabuf::Attachment* att = ResolveAtt(atth);
  if (!att) co_return Value::Err(kEBADF);
  co_return AttachmentResult(co_await dmabuf::dma_buf_detach(*att));
}

sim::Task<Value> Machine::OpRevoke(Value fd, Value bufh) {
  vfio::VfioPciCoreDevice* vdev = ResolveDevice(fd);
  dmabuf::DmaBuf* buf = ResolveBuf(bufh);
  if (!vdev || !buf) co_return Value::Err(kEBADF);
  co_return Value::FromRet(co_await vfio::vfio_pci_dma_buf_revoke_ioctl(*vdev, *buf));
}

sim::Task<Value> Machine::OpFork(int proc) {
  sim::FuncScope f("copy_process");
  Process& child = NewProcess(false);  // not visible to any other thread yet
  Process& parent = procs_[proc];
  // copy_files() -> dup_fd(), before copy_mm() as in copy_process(): one step
  // that reads the parent's table and fills the child's.
  co_await sim::Access2(&parent.fds, false, &child.fds, true, "fdtable");
  TouchFds(parent, false);
  TouchFds(child, true);
  if (parent.exited) {
    child.exited = true;
    co_return Value::Err(kEINVAL);
  }
  for (mm::File* fl : parent.fds) {
    if (fl) fl->get_file();
    child.fds.push_back(fl);
  }
  if (const int r = co_await mm::dup_mmap(*parent.mm, *child.mm); r != 0) {
    // copy_mm() failed (the parent is exiting, or -ENOMEM): the half-built
    // child is torn down (mmput(), exit_files()), never runs, and fork()
    // returns the error.
    co_await mm::exit_mmap(*child.mm);
    co_await ExitFiles(child);
    co_return Value::Err(-r);
  }
  co_return Value::Handle(static_cast<uint64_t>(child.id));
}

sim::Task<Value> Machine::OpClose(Value h) {
  sim::FuncScope f("close_fd");
  mm::File* file;
  {
    std::lock_guard<std::mutex> l(fd_lock_);
    if (h.kind != Value::Kind::kHandle || h.v >= fdrefs_.size()) co_return Value::Err(kEBADF);
    const FdRef r = fdrefs_[h.v];
    TouchFds(procs_[r.proc], true);
    file = procs_[r.proc].fds[r.fd];
    if (!file) co_return Value::Err(kEBADF);
    procs_[r.proc].fds[r.fd] = nullptr;
  }
  co_await file->fput();
  co_return Value::Ok();
}

// exit_files() -> close_files(): the table is emptied in one step (the
// process is marked exited with it), then each file is put.
sim::Task<void> Machine::ExitFiles(Process& p) {
  sim::FuncScope f("exit_files");
  co_await sim::Access(&p.fds, true, "fdtable");
  std::vector<mm::File*> files;
  {
    std::lock_guard<std::mutex> l(fd_lock_);
    TouchFds(p, true);
    for (mm::File*& fl : p.fds) {
      if (fl) files.push_back(fl);
      fl = nullptr;
    }
    p.exited = true;
  }
  for (mm::File* fl : files) co_await fl->fput();
}

sim::Task<Value> Machine::OpExit(int proc) {
  sim::FuncScope f("do_exit");
  Process& p = procs_[proc];
  co_await mm::exit_mmap(*p.mm);  // exit_mm(); nothing if exiting already
  co_await ExitFiles(p);
  co_return Value::Ok();
}

sim::Task<Value> Machine::OpIommuMap(int proc, uint64_t addr, uint64_t len, bool write) {
  IovaMapping m;
  m.type1 = true;
  m.write = write;
  const int r = co_await iommu::vfio_iommu_type1_map_dma(ctx_, obs_, *procs_[proc].mm, addr, len, write, &m.ranges);
  if (r < 0) co_return Value::Err(-r);
  if (auto d = DecodePhys(m.ranges.front().paddr)) m.target = d->dev;
  m.id = static_cast<int>(iovas_.size());
  iovas_.push_back(std::move(m));
  co_return Value::Handle(static_cast<uint64_t>(iovas_.back().id));
}

sim::Task<Value> Machine::OpIommufdMap(Value bufh) {
  sim::FuncScope f("vfio_pci_dma_buf_iommufd_map");
  dmabuf::DmaBuf* buf = ResolveBuf(bufh);
  if (!buf) co_return Value::Err(kEBADF);
  if (const int r = iommu::vfio_pci_dma_buf_iommufd_check(*buf); r < 0) co_return Value::Err(-r);
  dmabuf::Attachment& att = atts_.emplace_back();
  att.id = static_cast<int>(atts_.size()) - 1;
  iommu::IommufdPages& pages = iommufd_pages_.emplace_back(obs_);
  if (const int r = co_await iommu::iommufd_map_dma_buf(*buf, att, pages); r) co_return Value::Err(-r);
  IovaMapping& m = iovas_.emplace_back();
  m.id = static_cast<int>(iovas_.size()) - 1;
  m.att = &att;
  m.pages = &pages;
  m.target = &static_cast<vfio::VfioPciDmaBuf*>(buf->priv())->orig_vdev->pdev();
  co_return Value::Handle(static_cast<uint64_t>(m.id));
}

sim::Task<Value> Machine::OpIommufdUnmap(Value ioh) {
  sim::FuncScope f("iommufd_ioas_unmap");
  if (ioh.kind != Value::Kind::kHandle || ioh.v >= iovas_.size()) co_return Value::Err(kEBADF);
  IovaMapping& m = iovas_[ioh.v];
  if (!m.att) co_return Value::Err(kEINVAL);  // a type1 mapping: not an IOAS area
  co_return AttachmentResult(co_await iommu::iommufd_ioas_unmap(ctx_, *m.att, *m.pages));
}

sim::Task<Value> Machine::OpP2p(Value ioh, uint64_t offset) {
  sim::FuncScope f("peer_p2p_dma");
  if (ioh.kind != Value::Kind::kHandle || ioh.v >= iovas_.size()) co_return Value::Err(kEBADF);
  IovaMapping& m = iovas_[ioh.v];
  if (m.att) {
    co_await sim::Access2(m.att, false, m.target->mmio(), false, "p2p");
    m.att->Touch(false);
    if (!m.att->mapped || m.pages->area_unmapped) co_return Value::Err(kEIO);
    if (m.att->invalidated && obs_) obs_->OnImporterAfterMove(*m.att);
    co_return co_await AccessThroughSg(m.att->sgt, offset, m.att, "p2p");
  }
  co_await sim::Access(m.target->mmio(), false, "p2p");
  co_return co_await AccessThroughSg(m.ranges, offset, &m, "p2p");
}

uint64_t Machine::PageSize(int proc, uint64_t addr) const {
  const Process& p = procs_[proc];
  if (p.exited) return 0;
  std::optional<mm::Leaf> leaf = p.mm->pt.Lookup(addr);
  return leaf ? leaf->size() : 0;
}

bool Machine::Revoked(Value buf) const {
  dmabuf::DmaBuf* b = ResolveBuf(buf);
  if (!b) return false;
  return static_cast<vfio::VfioPciDmaBuf*>(b->priv())->revoked();
}

bool Machine::AllClosedAndExited() const {
  for (const Process& p : procs_) {
    if (!p.implicit && !p.exited) return false;
    for (mm::File* f : p.fds)
      if (f) return false;
  }
  return true;
}

std::vector<vfio::VfioPciDmaBuf*> Machine::AllDmaBufs() {
  std::vector<vfio::VfioPciDmaBuf*> out;
  for (vfio::VfioPciCoreDevice& v : vdevs_)
    for (vfio::VfioPciDmaBuf& p : v.privs) out.push_back(&p);
  return out;
}

std::vector<std::string> Machine::LiveObjects() const {
  std::vector<std::string> out;
  for (const vfio::VfioPciCoreDevice& v : vdevs_) {
    if (v.open_count) out.push_back(absl::StrFormat("%s: device open (open_count=%d)", v.name(), v.open_count));
    for (const vfio::VfioPciDmaBuf& p : v.privs)
      if (!p.freed) out.push_back(absl::StrFormat("dmabuf%d (refcount %d)", p.id, p.dmabuf->refcount()));
    if (v.registrations != 1)
      out.push_back(absl::StrFormat("%s: %d registration reference(s)", v.name(), v.registrations - 1));
  }
  for (const dmabuf::Attachment& a : atts_)
    if (a.attached) out.push_back(absl::StrFormat("attachment%d", a.id));
  for (const Process& p : procs_)
    if (!p.mm->vmas.empty()) out.push_back(absl::StrFormat("%s: %d vma(s)", p.mm->name, p.mm->vmas.size()));
  return out;
}

}  // namespace vfiosim
