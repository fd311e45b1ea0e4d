#include "sim/explore/state_cache.h"

#include <algorithm>
#include <cstring>

#include "sim/core/discipline.h"

namespace vfiosim::sim {

namespace {

// A fingerprint of the bytes, the same on every run and machine (absl::Hash is
// salted per process, and a collision must not depend on the run): splitmix64's
// finaliser over 8-byte words.
uint64_t Fingerprint(const std::string& b) {
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ b.size();
  size_t i = 0;
  for (; i + 8 <= b.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, b.data() + i, 8);
    h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
  }
  uint64_t w = 0;
  std::memcpy(&w, b.data() + i, b.size() - i);
  return mix(h ^ w);
}

}  // namespace

uint32_t StateCache::Intern(const std::string& bytes) {
  if (compact_) {
    auto [it, fresh] = interned_fp_.try_emplace(Fingerprint(bytes), static_cast<uint32_t>(interned_fp_.size() + 1));
    if (fresh) bytes_ += sizeof(uint64_t);
    return it->second;
  }
  auto [it, fresh] = interned_.try_emplace(bytes, static_cast<uint32_t>(interned_.size() + 1));
  if (fresh) bytes_ += bytes.size();
  return it->second;
}

namespace {

uint32_t Number(absl::flat_hash_map<uint64_t, uint32_t>* m, uint32_t a, uint32_t b) {
  const uint64_t k = (static_cast<uint64_t>(a) << 32) | b;
  return m->try_emplace(k, static_cast<uint32_t>(m->size() + 1)).first->second;
}

}  // namespace

uint32_t StateCache::Shared(uint32_t view, uint32_t rest) { return Number(&pairs_, view, rest); }

uint32_t StateCache::Extend(uint32_t prev, uint32_t read) { return Number(&histories_, prev, read); }

StateCache::Entry* StateCache::Find(const std::string& key, bool* fresh, uint64_t sleep, uint64_t since) {
  if (compact_) {
    auto [it, f] = visited_fp_.try_emplace(Fingerprint(key), Entry{sleep, since});
    *fresh = f;
    if (f) bytes_ += sizeof(uint64_t);
    return &it->second;
  }
  auto [it, f] = visited_.try_emplace(key, Entry{sleep, since});
  *fresh = f;
  if (f) bytes_ += key.size();
  return &it->second;
}

StateCache::Visit StateCache::Enter(const std::string& key, uint64_t sleep, uint64_t since,
                                    const std::string& next) {
  if (check_next_) {
    // By fingerprint, also with the exact table (a test's few thousand states:
    // a collision, which could report a mismatch that is not one, has a
    // chance of about stored^2 / 2^65).
    auto [it, fresh] = next_.try_emplace(Fingerprint(key), next);
    if (!fresh && it->second != next)
      throw DisciplineError("the stateful search's key matched two states whose threads do different things next "
                            "(a read that no sim::Touch() or sim::NoteResult() reported): first " +
                            it->second + "; now " + next);
  }
  bool fresh = false;
  Entry& e = *Find(key, &fresh, sleep, since);
  if (fresh) return Visit{false, sleep, ~uint64_t{0}};
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
