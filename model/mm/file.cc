#include "model/mm/file.h"

#include <cstdio>
#include <cstdlib>

namespace vfiosim::mm {

sim::Task<void> File::fput() {
  if (refcount_ <= 0) {
    std::fprintf(stderr, "vfiosim: internal error: fput() of a released file\n");
    std::abort();
  }
  if (--refcount_ == 0) {
    released_ = true;
    co_await Release();
  }
}

bool File::fput_deferring_release() {
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
