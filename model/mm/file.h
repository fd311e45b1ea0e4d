// struct file, as far as BAR mappings need it: a refcount whose last fput()
// releases the file (include/linux/fs.h, fs/file_table.c), and f_mapping, the
// inode's address_space whose i_mmap lists every VMA mapping the file.
#pragma once

#include "sim/core/task.h"

namespace vfiosim::mm {

struct AddressSpace;
struct Vma;

class File {
 public:
  enum class Kind { kVfioDevice, kDmaBuf };
  File(Kind kind, AddressSpace* mapping) : kind_(kind), mapping_(mapping) {}
  virtual ~File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  Kind kind() const { return kind_; }
  AddressSpace* f_mapping() const { return mapping_; }

  void get_file() { ++refcount_; }
  // get_file_active(): a reference only while the file is not being released.
  bool get_file_active() {
    if (refcount_ == 0) return false;
    ++refcount_;
    return true;
  }
  int refcount() const { return refcount_; }
  bool released() const { return released_; }

  // fput(): the last reference runs f_op->release(), which may sleep on locks.
  sim::Task<void> fput();
  // fput() where the caller holds locks ->release takes: the reference is
  // dropped now, but when it was the last one (returns true) the caller must
  // run_deferred_release() once it has dropped its locks. The kernel's fput()
  // from a task defers __fput() to task_work, run on the way back to user
  // space (fs/file_table.c).
  bool fput_deferring_release();
  sim::Task<void> run_deferred_release();

  // f_op->mmap(): set up a new VMA (vm_ops, flags; possibly replace vm_file).
  // Returns 0 or -errno. Never populates page tables.
  virtual sim::Task<int> Mmap(struct Vma& vma) = 0;

 protected:
  // f_op->release(): vfio_device_fops_release() or dma_buf_file_release().
  virtual sim::Task<void> Release() = 0;

 private:
  Kind kind_;
  AddressSpace* mapping_;
  int refcount_ = 1;
  bool released_ = false;
};

}  // namespace vfiosim::mm
