// A thread's history for the stateful search's key (sim/explore/thread_history.h)
// and the retry loops that shorten it (sim/core/retry_scope.h).
#include "sim/explore/thread_history.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/core/discipline.h"
#include "sim/core/retry_scope.h"
#include "tests/step_host.h"

namespace vfiosim::sim {
namespace {

using Ev = TouchLog::Event;

// A view with two objects' regions, a and b.
struct TwoObjects {
  int a = 0, b = 0;
  StateWriter view;
  explicit TwoObjects(uint64_t va = 1, uint64_t vb = 2) {
    view.U64(9);
    view.Begin(&a);
    view.U64(va);
    view.End();
    view.Begin(&b);
    view.U64(vb);
    view.End();
  }
};

TouchLog Log(std::vector<const void*> objects, std::string results, std::vector<Ev> events = {}) {
  TouchLog l;
  l.objects = std::move(objects);
  l.results = std::move(results);
  l.events = std::move(events);
  return l;
}

TEST(RetryScope, LogsWhereItBeganRetriedAndEndedByThread) {
  int a = 0, b = 0;
  TouchLog log;
  auto body = [&]() -> Task<void> {
    Touch(&a, false, "a");
    {
      RetryScope scope;
      Touch(&b, false, "b");
      NoteResult(7);
      scope.Retry();
    }
    co_return;
  };
  std::vector<Task<void>> tasks;
  tasks.push_back(body());
  RunThreadsOf(std::move(tasks), StepRun{.check_discipline = false, .touch_log = &log});
  ASSERT_EQ(log.events.size(), 3u);
  EXPECT_EQ(log.events[0].kind, Ev::kEnter);
  EXPECT_EQ(log.events[0].objects, 1u);
  EXPECT_EQ(log.events[0].results, 0u);
  EXPECT_EQ(log.events[1].kind, Ev::kRetry);
  EXPECT_EQ(log.events[1].objects, 2u);
  EXPECT_EQ(log.events[1].results, 1u);
  EXPECT_EQ(log.events[2].kind, Ev::kLeave);
  for (const Ev& e : log.events) EXPECT_EQ(e.thread, 0);
}

// What the first node's key reads of a thread (Thread::read_in_scope).
TEST(RetryScope, KnowsWhetherItsThreadReadSinceItBeganOrRetried) {
  int a = 0;
  TouchLog log;
  std::vector<bool> seen;
  auto body = [&]() -> Task<void> {
    RetryScope scope;
    seen.push_back(Thread::current->read_in_scope);
    Touch(&a, false, "a");
    seen.push_back(Thread::current->read_in_scope);
    scope.Retry();
    seen.push_back(Thread::current->read_in_scope);
    NoteResult(1);
    seen.push_back(Thread::current->read_in_scope);
    co_return;
  };
  std::vector<Task<void>> tasks;
  tasks.push_back(body());
  RunThreadsOf(std::move(tasks), StepRun{.check_discipline = false, .touch_log = &log});
  EXPECT_EQ(seen, (std::vector<bool>{false, true, false, true}));
}

// Outside the stateful search (no touch log) a scope only counts itself.
TEST(RetryScope, WithoutATouchLogCountsItsScopes) {
  std::vector<int> open;
  auto body = [&]() -> Task<void> {
    {
      RetryScope scope;
      open.push_back(Thread::current->retry_scopes);
      scope.Retry();
    }
    open.push_back(Thread::current->retry_scopes);
    co_return;
  };
  std::vector<Task<void>> tasks;
  tasks.push_back(body());
  RunThreadsOf(std::move(tasks), StepRun{.check_discipline = false});
  EXPECT_EQ(open, (std::vector<int>{1, 0}));
}

// Two schedules in which a fault read different things but ended in a retry
// meet: the thread is keyed by where its scope began.
TEST(ThreadHistory, ARetryForgetsWhatTheLoopReadSinceItBegan) {
  StateCache cache;
  TwoObjects s;
  ThreadHistory start;
  AdvanceHistory(cache, s.view, Log({&s.a}, "", {{Ev::kEnter, 0, 1, 0}}), &start);
  ASSERT_NE(start.retry_from, 0u);

  ThreadHistory x = start, y = start;
  AdvanceHistory(cache, s.view, Log({&s.b}, "\x01"), &x);
  AdvanceHistory(cache, s.view, Log({}, "\x02"), &y);
  EXPECT_NE(x.read, y.read);  // inside the loop, what each read tells them apart
  AdvanceHistory(cache, s.view, Log({&s.a}, "\x03", {{Ev::kRetry, 0, 1, 1}}), &x);
  AdvanceHistory(cache, s.view, Log({}, "", {{Ev::kRetry, 0, 0, 0}}), &y);
  EXPECT_EQ(x.read, y.read);
  EXPECT_EQ(x.retry_from, start.retry_from);
  // The step that began the scope read nothing after it: retried and just
  // begun are the same locals, and the same key.
  EXPECT_EQ(x.read, start.read);
  ThreadHistory w;
  AdvanceHistory(cache, s.view, Log({&s.a, &s.b}, "", {{Ev::kEnter, 0, 1, 0}}), &w);
  EXPECT_EQ(w.retry_from, start.retry_from);
  EXPECT_NE(w.read, start.read);  // it read b after the scope began

  // The loop ends (the access is done): the scope's start is forgotten.
  AdvanceHistory(cache, s.view, Log({&s.b}, "\x04", {{Ev::kLeave, 0, 1, 1}}), &x);
  EXPECT_EQ(x.retry_from, 0u);
  EXPECT_NE(x.read, y.read);
}

// What the thread read before its scope began, in the same step, stays in the
// key: it determines its callers' locals, which a retry keeps.
TEST(ThreadHistory, AScopesStartKeepsTheReadsBeforeIt) {
  StateCache cache;
  TwoObjects s1(1), s2(5);
  ThreadHistory x, y, z;
  AdvanceHistory(cache, s1.view, Log({&s1.a, &s1.b}, "", {{Ev::kEnter, 0, 1, 0}}), &x);
  AdvanceHistory(cache, s2.view, Log({&s2.a, &s2.b}, "", {{Ev::kEnter, 0, 1, 0}}), &y);
  EXPECT_NE(x.retry_from, y.retry_from);  // a differs, and was read before the scope
  // b (read inside the scope only) does not matter to where it began.
  TwoObjects s3(1, 7);
  AdvanceHistory(cache, s3.view, Log({&s3.a, &s3.b}, "", {{Ev::kEnter, 0, 1, 0}}), &z);
  EXPECT_EQ(x.retry_from, z.retry_from);
  EXPECT_NE(x.read, z.read);
}

TEST(ThreadHistory, BrokenRetryRulesAreRefused) {
  StateCache cache;
  TwoObjects s;
  ThreadHistory h;
  // A read after the retry in the same step.
  EXPECT_THROW(
      AdvanceHistory(cache, s.view, Log({&s.a}, "", {{Ev::kEnter, 0, 0, 0}, {Ev::kRetry, 0, 0, 0}}), &h),
      DisciplineError);
  h = {};
  EXPECT_THROW(AdvanceHistory(cache, s.view, Log({}, "", {{Ev::kRetry, 0, 0, 0}}), &h), DisciplineError);
  h = {};
  EXPECT_THROW(
      AdvanceHistory(cache, s.view, Log({}, "", {{Ev::kEnter, 0, 0, 0}, {Ev::kEnter, 0, 0, 0}}), &h),
      DisciplineError);
}

// At the first node, a thread that began a scope before its first point is
// known as in it (Thread::retry_scopes: the touch log there is not only its).
TEST(ThreadHistory, AScopeBegunBeforeTheFirstPointIsKeyed) {
  StateCache cache;
  Thread t(0, "t", nullptr);
  const ThreadHistory outside = StartHistory(cache, t);
  EXPECT_EQ(outside.read, 0u);
  EXPECT_EQ(outside.retry_from, 0u);
  t.retry_scopes = 1;
  t.read_in_scope = true;
  const ThreadHistory read = StartHistory(cache, t);
  EXPECT_EQ(read.read, 0u);
  EXPECT_NE(read.retry_from, 0u);
  // Nothing read since the scope began: keyed as its retry would be.
  t.read_in_scope = false;
  const ThreadHistory fresh = StartHistory(cache, t);
  EXPECT_EQ(fresh.retry_from, read.retry_from);
  TwoObjects s;
  ThreadHistory retried = read;
  AdvanceHistory(cache, s.view, Log({&s.b}, "", {{Ev::kRetry, 0, 1, 0}}), &retried);
  EXPECT_EQ(fresh.read, retried.read);
  EXPECT_NE(fresh.read, 0u);
  t.retry_scopes = 2;
  EXPECT_THROW(StartHistory(cache, t), DisciplineError);
}

}  // namespace
}  // namespace vfiosim::sim
