#include <cstdlib>
#include <new>
#include <vector>

#include "sim/core/task.h"

namespace vfiosim::sim {
namespace {

constexpr std::size_t kGranule = 16;
constexpr std::size_t kClasses = 256;  // frames up to 4 KiB are pooled

struct FreeLists {
  std::vector<void*> lists[kClasses];
  ~FreeLists() {
    for (auto& l : lists)
      for (void* p : l) ::operator delete(p);
  }
};
thread_local FreeLists free_lists;

}  // namespace

void* FrameArena::Allocate(std::size_t n) {
  const std::size_t c = (n + kGranule - 1) / kGranule;
  if (c < kClasses) {
    auto& l = free_lists.lists[c];
    if (!l.empty()) {
      void* p = l.back();
      l.pop_back();
      return p;
    }
    return ::operator new(c * kGranule);
  }
  return ::operator new(n);
}

void FrameArena::Free(void* p, std::size_t n) noexcept {
  const std::size_t c = (n + kGranule - 1) / kGranule;
  if (c < kClasses) {
    auto& l = free_lists.lists[c];
    if (l.size() < 4096) {
      l.push_back(p);
      return;
    }
  }
  ::operator delete(p);
}

}  // namespace vfiosim::sim
