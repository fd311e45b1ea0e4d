// What both variants' BAR mappings share (drivers/vfio/pci/vfio_pci_core.c):
// the variant choice, vfio_pci_zap_bars(), vfio_pci_vmf_insert_pfn() and the
// VMA setup of vfio_pci_core_mmap().
#include "model/vfio/bar_mapping.h"

#include <algorithm>
#include <mutex>

#include "model/mm/memory.h"
#include "model/vfio/vfio_pci_core.h"
#include "sim/core/thread.h"
#include "sim/core/trace_note.h"

namespace vfiosim::vfio {
namespace {

using mm::VmFaultResult;

}  // namespace

std::unique_ptr<BarMapping> MakeBarMapping(Variant v) {
  return v == Variant::kLegacy ? MakeLegacyBarMapping() : MakeDmabufBarMapping();
}

sim::Task<void> vfio_pci_zap_bars(VfioPciCoreDevice& vdev) {
  sim::FuncScope f("vfio_pci_zap_bars");
  // VFIO_PCI_INDEX_TO_OFFSET(BAR0) .. VFIO_PCI_INDEX_TO_OFFSET(ROM).
  const uint64_t len = uint64_t{kRomRegionIndex} << kVfioPciOffsetShift;
  if (vdev.ctx().bug(Bug::kForkEscapesZap)) {
    // fork-escapes-zap: the v5.8..v6.9 zap, vfio_pci_zap_and_vma_lock(),
    // zapped the vmas on vdev->vma_list, which a forked child's vma never
    // joined (35e351780fa9). The model walks the inode's i_mmap under
    // i_mmap_rwsem as unmap_mapping_range() does (the same steps) and zaps the
    // vmas on the list.
    sim::FuncScope z("vfio_pci_zap_and_vma_lock");
    mm::AddressSpace& mapping = vdev.inode_mapping;
    co_await mapping.i_mmap_rwsem.LockRead();
    mapping.TouchIMmap(false);
    for (mm::Vma& vma : mapping.i_mmap)
      if (vfio_pci_vma_listed(vdev, vma)) co_await mm::unmap_mapping_range_vma(vma, 0, (len >> mm::kPageShift) - 1);
    mapping.i_mmap_rwsem.UnlockRead();
    co_return;
  }
  co_await mm::unmap_mapping_range(vdev.inode_mapping, 0, len);
}

void vfio_pci_add_vma(VfioPciCoreDevice& vdev, const mm::Vma& vma) {
  std::lock_guard<std::mutex> l(vdev.vma_lock);
  if (std::find(vdev.vma_list.begin(), vdev.vma_list.end(), &vma) == vdev.vma_list.end())
    vdev.vma_list.push_back(&vma);
}

bool vfio_pci_vma_listed(VfioPciCoreDevice& vdev, const mm::Vma& vma) {
  std::lock_guard<std::mutex> l(vdev.vma_lock);
  return std::find(vdev.vma_list.begin(), vdev.vma_list.end(), &vma) != vdev.vma_list.end();
}

void vfio_pci_mmap_open(VfioPciCoreDevice& vdev, const mm::Vma& vma) {
  if (!vdev.ctx().bug(Bug::kForkEscapesZap)) return;
  // The kernel's ->open zapped the new vma so that its next fault would list
  // it. A fork child's copy stays off the list with the PTEs copy_page_range()
  // gives it after ->open (the 35e351780fa9 regression). The model keeps the
  // part __split_vma() splits off a listed vma listed, with its PTEs: it is a
  // vma of the same mm that the listed original still covers.
  std::lock_guard<std::mutex> l(vdev.vma_lock);
  for (const mm::Vma* v : vdev.vma_list)
    if (v != &vma && v->mm == vma.mm && v->contains(vma.vm_start)) {
      vdev.vma_list.push_back(&vma);
      return;
    }
}

void vfio_pci_mmap_close(VfioPciCoreDevice& vdev, const mm::Vma& vma) {
  if (!vdev.ctx().bug(Bug::kForkEscapesZap)) return;
  std::lock_guard<std::mutex> l(vdev.vma_lock);
  std::erase(vdev.vma_list, &vma);
}

sim::Task<VmFaultResult> vfio_pci_vmf_insert_pfn(VfioPciCoreDevice& vdev, const mm::VmFault& vmf, uint64_t pfn,
                                                 int order) {
  sim::FuncScope f("vfio_pci_vmf_insert_pfn");
  const VfioContext& ctx = vdev.ctx();
  if (ctx.bug(Bug::kFaultWithoutLock)) {
    // Without memory_lock the device state is read racily: a point of its own.
    co_await sim::Access(vdev.pdev().mmio(), false, "mmio");
  }
  // The legacy fault handler's mutant: also the dmabuf variant's BAR mmaps that
  // the legacy-fallback fix maps with the legacy vm_ops.
  const bool skip_check = vmf.vma->vm_ops == &LegacyVmOps() && ctx.bug(Bug::kLegacyNoMemoryCheck);
  if (!skip_check) vdev.TouchConfig(false);
  if (!skip_check && (vdev.pm_runtime_engaged || !vdev.memory_enabled())) {
    sim::TraceNote(vdev.pm_runtime_engaged                              ? "SIGBUS: low power (pm_runtime_engaged)"
                   : !(vdev.vconfig_command & pci::kCommandMemory) ? "SIGBUS: memory disabled (MEM off)"
                                                                     : "SIGBUS: device in D3hot");
    co_return VmFaultResult::kSigbus;
  }
  // Order 0 / PMD_ORDER / PUD_ORDER, each only where the arch supports it.
  if (order == 9 && !ctx.config.pmd_pfnmap) co_return VmFaultResult::kFallback;
  if (order == 18 && !ctx.config.pud_pfnmap) co_return VmFaultResult::kFallback;
  if (order != 0 && order != 9 && order != 18) co_return VmFaultResult::kFallback;
  co_return co_await mm::vmf_insert_pfn(vmf, pfn, order);
}

void vfio_pci_setup_vma(mm::Vma& vma, const mm::VmOps& ops, void* private_data) {
  // VM_ALLOW_ANY_UNCACHED | VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP,
  // pgprot_noncached(): only VM_PFNMAP matters to the model.
  vma.pfnmap = true;
  vma.vm_private_data = private_data;
  vma.vm_ops = &ops;
}

}  // namespace vfiosim::vfio
