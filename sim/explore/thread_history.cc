#include "sim/explore/thread_history.h"

#include <span>
#include <string>
#include <string_view>

#include "sim/core/discipline.h"

namespace vfiosim::sim {
namespace {

// StepRead() is never empty: the empty string names a retry, and a scope
// begun before the first point.
uint32_t Mark(StateCache& cache) { return cache.Intern(std::string()); }

// A thread back at its scope's start (`from`), having read nothing since.
uint32_t AtScopeStart(StateCache& cache, uint32_t from) { return cache.Extend(from, Mark(cache)); }

// Whether event i is the step's last, with nothing logged after it.
bool EndsTheLog(const TouchLog& log, size_t i) {
  const TouchLog::Event& e = log.events[i];
  return i + 1 == log.events.size() && e.objects == log.objects.size() && e.results == log.results.size();
}

}  // namespace

ThreadHistory StartHistory(StateCache& cache, const Thread& t) {
  if (t.retry_scopes > 1) throw DisciplineError("sim::RetryScope: a retry loop inside another one");
  if (t.retry_scopes == 0) return ThreadHistory{};
  const uint32_t from = cache.Extend(0, Mark(cache));
  // Nothing read since the scope began: as at its start, like a retry.
  return ThreadHistory{t.read_in_scope ? 0 : AtScopeStart(cache, from), from};
}

void AdvanceHistory(StateCache& cache, const StateWriter& view, const TouchLog& log, ThreadHistory* h) {
  if (log.events.empty()) {
    h->read = cache.Extend(h->read, cache.Intern(view.StepRead(log)));
    return;
  }
  size_t o = 0, r = 0;  // the log up to here is in h->read
  auto read_to = [&](size_t o2, size_t r2) {
    const std::string part = view.StepRead(std::span(log.objects).subspan(o, o2 - o),
                                           std::string_view(log.results).substr(r, r2 - r));
    h->read = cache.Extend(h->read, cache.Intern(part));
    o = o2;
    r = r2;
  };
  for (size_t i = 0; i < log.events.size(); ++i) {
    const TouchLog::Event& e = log.events[i];
    switch (e.kind) {
      case TouchLog::Event::kEnter:
        if (h->retry_from != 0) throw DisciplineError("sim::RetryScope: a retry loop inside another one");
        read_to(e.objects, e.results);
        h->retry_from = h->read;
        if (EndsTheLog(log, i)) {  // nothing read since it began: as at its start, like a retry
          h->read = AtScopeStart(cache, h->retry_from);
          return;
        }
        break;
      case TouchLog::Event::kRetry:
        if (h->retry_from == 0) throw DisciplineError("sim::RetryScope::Retry() outside its scope");
        // A read after it would be of a state this step changed since `view`.
        if (!EndsTheLog(log, i))
          throw DisciplineError("sim::RetryScope::Retry() was not the last thing its step did before a point");
        h->read = AtScopeStart(cache, h->retry_from);
        return;
      case TouchLog::Event::kLeave:
        h->retry_from = 0;
        break;
    }
  }
  read_to(log.objects.size(), log.results.size());
}

}  // namespace vfiosim::sim
