// struct vm_area_struct and the file side of it (struct address_space's i_mmap).
//
// A VMA sits in two intrusive containers at once, as in the kernel: its mm's
// VMA tree (here a Boost.Intrusive set ordered by vm_start) and its file's
// i_mmap (here an intrusive list), so that unmap_mapping_range() can find every
// mapping of a file without touching unrelated VMAs.
#pragma once

#include <boost/intrusive/list.hpp>
#include <boost/intrusive/set.hpp>
#include <cstdint>
#include <string>

#include "model/lock_class.h"
#include "model/mm/file.h"
#include "sim/core/discipline.h"
#include "sim/core/state_writer.h"
#include "sim/core/sync.h"
#include "sim/core/task.h"

namespace vfiosim::mm {

struct Mm;
struct Vma;

// vm_fault_t values the model uses (include/linux/mm_types.h).
enum class VmFaultResult { kNoPage, kFallback, kSigbus, kSigsegv, kOom };

// struct vm_fault, trimmed.
struct VmFault {
  Vma* vma;
  uint64_t address;  // the faulting address (not aligned)
  bool write;
};

// struct vm_operations_struct: the fault handlers of a mapping. A VMA without
// huge_fault support only gets order-0 faults.
class VmOps {
 public:
  virtual ~VmOps() = default;
  virtual bool has_huge_fault() const = 0;
  // ->huge_fault(vmf, order) / ->fault(vmf) (order 0).
  virtual sim::Task<VmFaultResult> HugeFault(VmFault vmf, int order) const = 0;
  virtual const char* name() const = 0;
  // ->open(vma): a new vma that copies another: the part __split_vma() splits
  // off, or the child's copy in dup_mmap().
  virtual void Open(Vma& /*vma*/) const {}
  // ->close(vma): remove_vma() drops the vma.
  virtual void Close(Vma& /*vma*/) const {}
};

using SetHook = boost::intrusive::set_member_hook<boost::intrusive::link_mode<boost::intrusive::safe_link>>;
using ListHook = boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::safe_link>>;

struct Vma {
  uint64_t vm_start = 0;
  uint64_t vm_end = 0;
  uint64_t vm_pgoff = 0;  // in pages, into vm_file
  bool writable = true;   // VM_WRITE (prot=rw)
  bool shared = true;     // VM_SHARED
  bool pfnmap = true;     // VM_IO | VM_PFNMAP
  File* vm_file = nullptr;
  const VmOps* vm_ops = nullptr;
  void* vm_private_data = nullptr;
  Mm* mm = nullptr;
  int id = 0;

  SetHook mm_hook;
  ListHook mapping_hook;

  uint64_t size() const { return vm_end - vm_start; }
  bool contains(uint64_t va) const { return va >= vm_start && va < vm_end; }

  // The stateful search's view: identity first, then every field (the tree
  // position is the owner's walk; the i_mmap position its address_space's).
  void WriteState(sim::StateWriter& w) const;

  struct KeyOfStart {
    using type = uint64_t;
    uint64_t operator()(const Vma& v) const { return v.vm_start; }
  };
};

using VmaTree = boost::intrusive::set<
    Vma, boost::intrusive::member_hook<Vma, SetHook, &Vma::mm_hook>,
    boost::intrusive::key_of_value<Vma::KeyOfStart>>;
using VmaList = boost::intrusive::list<Vma, boost::intrusive::member_hook<Vma, ListHook, &Vma::mapping_hook>>;

// struct address_space: the inode's i_mmap under i_mmap_rwsem.
struct AddressSpace {
  explicit AddressSpace(std::string n)
      : name(std::move(n)), i_mmap_rwsem(LockClassOf(LockClass::kIMmapRwsem), name) {}
  ~AddressSpace() { i_mmap.clear(); }
  std::string name;
  sim::RwSem i_mmap_rwsem;
  VmaList i_mmap;
  // i_mmap (and the VMAs' positions on it) are i_mmap_rwsem's.
  void TouchIMmap(bool write) const { sim::TouchLocked(&i_mmap, write, "i_mmap", i_mmap_rwsem); }
  // i_mmap_rwsem and the vmas on i_mmap, in list order (the order
  // unmap_mapping_range() visits them).
  void WriteState(sim::StateWriter& w) const;
};

}  // namespace vfiosim::mm
