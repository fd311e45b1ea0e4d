#include "model/mm/file.h"

#include "sim/core/check.h"
#include "sim/core/sync.h"

namespace vfiosim::mm {

sim::Task<void> File::fput() {
  co_await sim::Access(this, true, "f_count");
  sim::Touch(this, true, "f_count");
  VFIOSIM_CHECK(refcount_ > 0, "fput() of a released file");
  if (--refcount_ == 0) {
    released_ = true;
    co_await Release();
  }
}

void File::put_pinned() {
  VFIOSIM_CHECK(refcount_ > 1, "put_pinned() of the last reference");
  --refcount_;
}

bool File::fput_deferring_release() {
  sim::Touch(this, true, "f_count");
  VFIOSIM_CHECK(refcount_ > 0, "fput() of a released file");
  if (--refcount_ > 0) return false;
  released_ = true;
  return true;
}

sim::Task<void> File::run_deferred_release() { co_await Release(); }

void File::WriteState(sim::StateWriter& w) const {
  w.U64(static_cast<uint64_t>(kind_));
  w.I64(refcount_);  // file->f_count
  w.Bool(released_);  // __fput() ran f_op->release
}

}  // namespace vfiosim::mm
