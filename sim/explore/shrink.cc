#include "sim/explore/shrink.h"

#include <tuple>

#include "sim/explore/explorer.h"

namespace vfiosim::sim {

ShrinkResult Shrink(const Program& p, const std::string& schedule, Invariant inv, ExecOptions o, int max_replays) {
  return Shrink(
      p, schedule, [inv](const ExecResult& r) { return r.violation && r.violation->inv == inv; }, o, max_replays);
}

ShrinkResult Shrink(const Program& p, const std::string& schedule, const std::function<bool(const ExecResult&)>& same,
                    ExecOptions o, int max_replays) {
  o.record_trace = false;
  ShrinkResult best;
  best.schedule = schedule;
  int replays = 0;
  // A budget of steps too, so that shrinking a schedule of a million steps (a
  // `touch` of a gigabyte) costs a few replays, not thousands. Deterministic.
  const uint64_t kStepBudget = 5'000'000;
  uint64_t spent = 0;
  // Replays `cand`; true if it fails the same way. Its recorded id (which may be
  // shorter: trailing choices of the lowest thread are implied) is kept.
  auto spent_all = [&] { return replays >= max_replays || (replays > 0 && spent >= kStepBudget); };
  auto fails = [&](const std::string& cand, ExecResult* out) {
    if (spent_all()) return false;
    ++replays;
    absl::StatusOr<ExecResult> r = Replay(p, cand, o);
    if (r.ok()) spent += static_cast<uint64_t>(r->steps);
    if (!r.ok() || !same(*r)) return false;
    *out = std::move(*r);
    return true;
  };
  ExecResult cur;
  if (!fails(schedule, &cur)) {
    best.replays = replays;
    return best;
  }
  best.orig_schedule = cur.schedule;
  best.orig_steps = cur.steps;
  best.orig_preemptions = cur.preemptions;
  // Fewer preemptions first, then fewer steps; but never a schedule longer (in
  // steps or in its id) than the one given: a shrunk witness is never harder to
  // read than the original.
  const int orig_steps = cur.steps;
  const size_t orig_len = cur.schedule.size();
  auto better = [&](const ExecResult& a, const ExecResult& b) {
    if (a.steps > orig_steps || a.schedule.size() > orig_len) return false;
    return std::make_tuple(a.preemptions, a.steps, a.schedule.size(), a.schedule) <
           std::make_tuple(b.preemptions, b.steps, b.schedule.size(), b.schedule);
  };
  bool progress = true;
  while (progress && !spent_all()) {
    progress = false;
    const std::string s = cur.schedule;
    // ddmin-style: remove chunks of decreasing size, then merge each choice into
    // its predecessor.
    for (size_t chunk = s.size() / 2; chunk >= 1 && !progress; chunk /= 2) {
      for (size_t i = 0; i + chunk <= s.size() && !progress && !spent_all(); i += chunk) {
        std::string cand = s.substr(0, i) + s.substr(i + chunk);
        ExecResult r;
        if (fails(cand, &r) && better(r, cur)) {
          cur = std::move(r);
          progress = true;
        }
      }
      if (chunk == 1) break;
    }
    for (size_t i = 1; i < s.size() && !progress && !spent_all(); ++i) {
      if (s[i] == s[i - 1]) continue;
      std::string cand = s;
      cand[i] = s[i - 1];
      ExecResult r;
      if (fails(cand, &r) && better(r, cur)) {
        cur = std::move(r);
        progress = true;
      }
    }
  }
  best.schedule = cur.schedule;
  best.steps = cur.steps;
  best.preemptions = cur.preemptions;
  best.replays = replays;
  return best;
}

}  // namespace vfiosim::sim
