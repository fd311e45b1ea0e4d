#include "model/mm/file.h"

#include <cstdio>
#include <cstdlib>

#include "sim/core/sync.h"

namespace vfiosim::mm {

sim::Task<void> File::fput() {
  co_await sim::Access(this, true, "f_count");
  sim::Touch(this, true, "f_count");
  if (refcount_ <= 0) {
    std::fprintf(stderr, "vfiosim: internal error: fput() of a released file\n");
    std::abort();
  }
  if (--refcount_ == 0) {
    released_ = true;
    co_await Release();
  }
}

void File::put_pinned() {
  if (refcount_ <= 1) {
    std::fprintf(stderr, "vfiosim: internal error: put_pinned() of the last reference\n");
    std::abort();
  }
  --refcount_;
}

bool File::fput_deferring_release() {
  sim::Touch(this, true, "f_count");
  if (refcount_ <= 0) {
    std::fprintf(stderr, "vfiosim: internal error: fput() of a released file\n");
    std::abort();
  }
  if (--refcount_ > 0) return false;
  released_ = true;
  return true;
}

sim::Task<void> File::run_deferred_release() { co_await Release(); }

}  // namespace vfiosim::mm
