// struct file, as far as BAR mappings need it: a refcount whose last fput()
// releases the file (include/linux/fs.h, fs/file_table.c), and f_mapping, the
// inode's address_space whose i_mmap lists every VMA mapping the file.
#pragma once

#include "sim/core/discipline.h"
#include "sim/core/state_writer.h"
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

  // get_file(): only by a holder of a reference (an fd-table slot the step
  // declared, a VMA, a pinned file), so the count stays above zero and the
  // increment commutes with every other get and put: not a scheduling point,
  // and not checked (sim/core/discipline.h).
  void get_file() { ++refcount_; }
  // get_file_active(): a reference only while the file is not being released.
  // It reads the count: the step must declare the file (an access to it).
  bool get_file_active() {
    sim::TouchReturning(this, true, "f_count");  // the caller learns only the result
    const bool got = refcount_ != 0;
    if (got) ++refcount_;
    sim::NoteResult(got);
    return got;
  }
  // Drops a reference that is not the last: the caller knows another holder
  // (an fd-table slot its step read) keeps the count above zero. Like
  // get_file(), it commutes with every other get and put.
  void put_pinned();
  int refcount() const { return refcount_; }
  bool released() const { return released_; }
  // The stateful search's view (sim/core/state_writer.h): f_count and whether
  // the last fput() ran ->release.
  void WriteState(sim::StateWriter& w) const;

  // fput(): the last reference runs f_op->release(), which may sleep on locks.
  // A scheduling point (a write of the file's count): which of two racing puts
  // is the last decides which thread runs ->release.
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
