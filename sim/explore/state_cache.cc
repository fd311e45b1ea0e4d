#include "sim/explore/state_cache.h"

#include <algorithm>

namespace vfiosim::sim {

uint32_t StateCache::Shared(const std::string& bytes) {
  auto [it, fresh] = shared_.try_emplace(bytes, static_cast<uint32_t>(shared_.size() + 1));
  if (fresh) bytes_ += bytes.size();
  return it->second;
}

uint32_t StateCache::Extend(uint32_t prev, uint32_t shared) {
  const uint64_t k = (static_cast<uint64_t>(prev) << 32) | shared;
  return histories_.try_emplace(k, static_cast<uint32_t>(histories_.size() + 1)).first->second;
}

StateCache::Visit StateCache::Enter(const std::string& key, uint64_t sleep, uint64_t since) {
  auto [it, fresh] = visited_.try_emplace(key, Entry{sleep, since});
  if (fresh) {
    bytes_ += key.size();
    return Visit{false, sleep, ~uint64_t{0}};
  }
  Entry& e = it->second;
  const bool covered = (e.sleep & ~sleep) == 0;  // stored sleep set within this one
  if (covered && since <= e.since) {
    ++matched_;
    return Visit{true, sleep, 0};
  }
  ++revisited_;
  Visit v{false, e.sleep & sleep, e.sleep & ~sleep};
  // Less budget left than when explored: the step limit may cut where it did
  // not, so everything not asleep is explored again.
  if (since > e.since) v.only = ~uint64_t{0};
  e.sleep &= sleep;
  e.since = std::max(e.since, since);
  return v;
}

}  // namespace vfiosim::sim
