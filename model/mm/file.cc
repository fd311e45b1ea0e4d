#include "model/mm/file.h"

#include "sim/core/check.h"
#include "sim/core/sync.h"

namespace vfiosim::mm {

sim::Task<void> File::fput() {
  co_await sim::Access(this, true, "f_count");
  sim::TouchReturning(this, true, "f_count");  // the caller learns only whether it was the last
  VFIOSIM_CHECK(refcount_ > 0, "fput() of a released file");
  const bool last = --refcount_ == 0;
  sim::NoteResult(last);
  if (last) {
    released_ = true;
    co_await Release();
  }
}

void File::put_pinned() {
  VFIOSIM_CHECK(refcount_ > 1, "put_pinned() of the last reference");
  --refcount_;
}

bool File::fput_deferring_release() {
  sim::TouchReturning(this, true, "f_count");  // the caller learns only the result
  VFIOSIM_CHECK(refcount_ > 0, "fput() of a released file");
  const bool last = --refcount_ == 0;
  sim::NoteResult(last);
  if (last) released_ = true;
  return last;
}

sim::Task<void> File::run_deferred_release() { co_await Release(); }

void File::WriteState(sim::StateWriter& w) const {
  w.U64(static_cast<uint64_t>(kind_));
  // Read only by get_file_active() and the fput()s, whose callers learn only
  // their results (sim::NoteResult); get_file() and put_pinned() change it
  // without reading it. No step touches it.
  w.Begin(this);
  w.I64(refcount_);  // file->f_count
  w.Bool(released_);  // __fput() ran f_op->release
  w.End();
}

}  // namespace vfiosim::mm
