#include <cstdint>
#include <cstdlib>
#include <new>

#include "sim/core/task.h"

namespace vfiosim::sim {
namespace {

constexpr std::size_t kGranule = 16;
constexpr std::size_t kClasses = 256;  // frames up to 4 KiB are pooled
constexpr std::uint32_t kMaxPooled = 4096;  // per class

// Intrusive free lists: a free frame holds the link to the next one, so Free()
// never allocates (it runs in coroutine destruction, which must not throw, and
// must work when memory has run out).
struct FreeFrame {
  FreeFrame* next;
};

struct FreeLists {
  FreeFrame* head[kClasses] = {};
  std::uint32_t count[kClasses] = {};
  ~FreeLists() {
    for (FreeFrame* f : head)
      while (f) ::operator delete(std::exchange(f, f->next));
  }
};
thread_local FreeLists free_lists;

}  // namespace

void* FrameArena::Allocate(std::size_t n) {
  const std::size_t c = (n + kGranule - 1) / kGranule;
  if (c > 0 && c < kClasses) {
    if (FreeFrame* f = free_lists.head[c]) {
      free_lists.head[c] = f->next;
      --free_lists.count[c];
      return f;
    }
    return ::operator new(c * kGranule);
  }
  return ::operator new(n);
}

void FrameArena::Free(void* p, std::size_t n) noexcept {
  const std::size_t c = (n + kGranule - 1) / kGranule;
  if (c > 0 && c < kClasses && free_lists.count[c] < kMaxPooled) {
    free_lists.head[c] = new (p) FreeFrame{free_lists.head[c]};
    ++free_lists.count[c];
    return;
  }
  ::operator delete(p);
}

}  // namespace vfiosim::sim
