// Parallel exploration (sim/explore/parallel_for.*, the explorer with --jobs):
// every work item runs exactly once, concurrent callers do not mix up their
// work, and every strategy gives with 4 jobs exactly what it gives with one.
// tests/tsan.sh runs this file under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "model/lock_class.h"
#include "sim/explore/explorer.h"
#include "sim/explore/parallel_for.h"
#include "sim/run/program.h"
#include "sim/scenario/parser.h"
#include "tests/repo_scenario.h"
#include "tests/sanitized.h"

namespace vfiosim::sim {
namespace {

TEST(ParallelFor, EveryItemRunsExactlyOnce) {
  for (int jobs : {1, 2, 3, 8}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{1000}}) {
      std::vector<std::atomic<int>> hits(n);
      std::vector<int> plain(n, 0);  // written per item, read after: TSan checks the hand-back
      ParallelFor(jobs, n, [&](size_t i) {
        hits[i].fetch_add(1);
        plain[i] = static_cast<int>(i) + 1;
      });
      for (size_t i = 0; i < n; ++i) {
        EXPECT_EQ(hits[i].load(), 1) << "jobs=" << jobs << " n=" << n << " i=" << i;
        EXPECT_EQ(plain[i], static_cast<int>(i) + 1);
      }
    }
  }
}

TEST(ParallelFor, UsesMoreThanOneThread) {
  // Items that wait for each other can only finish if two threads run them.
  std::atomic<int> arrived{0};
  ParallelFor(2, 2, [&](size_t) {
    arrived.fetch_add(1);
    while (arrived.load() < 2) std::this_thread::yield();
  });
  EXPECT_EQ(arrived.load(), 2);
}

TEST(ParallelFor, AnExceptionReachesTheCaller) {
  for (int jobs : {1, 2, 4}) {
    std::atomic<int> ran{0};
    EXPECT_THROW(ParallelFor(jobs, 10000,
                             [&](size_t i) {
                               ran.fetch_add(1);
                               if (i == 17) throw std::bad_alloc();
                             }),
                 std::bad_alloc)
        << "jobs=" << jobs;
    EXPECT_LT(ran.load(), 10000) << "items after the exception should be skipped";
  }
}

TEST(ParallelFor, ConcurrentCallersKeepTheirOwnWork) {
  constexpr int kCallers = 4;
  std::vector<std::vector<int>> out(kCallers, std::vector<int>(500, 0));
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c)
    callers.emplace_back([&, c] {
      for (int round = 0; round < 5; ++round)
        ParallelFor(3, out[static_cast<size_t>(c)].size(), [&](size_t i) { out[static_cast<size_t>(c)][i] += c + 1; });
    });
  for (std::thread& t : callers) t.join();
  for (int c = 0; c < kCallers; ++c)
    for (int v : out[static_cast<size_t>(c)]) ASSERT_EQ(v, 5 * (c + 1));
}

std::string ReadScenario(const std::string& rel) {
  std::ifstream in(std::string(VFIOSIM_SOURCE_DIR) + "/scenarios/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ExpectSame(const ExploreResult& a, const ExploreResult& b) {
  EXPECT_EQ(a.schedules, b.schedules);
  EXPECT_EQ(a.complete_schedules, b.complete_schedules);
  EXPECT_EQ(a.pruned, b.pruned);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.exhaustive_complete, b.exhaustive_complete);
  EXPECT_EQ(a.outcomes, b.outcomes);
  EXPECT_EQ(a.expect_true, b.expect_true);
  ASSERT_EQ(a.failures.size(), b.failures.size());
  for (const auto& [inv, f] : a.failures) {
    const Failure& g = b.failures.at(inv);
    EXPECT_EQ(f.schedule, g.schedule);
    EXPECT_EQ(f.count, g.count);
  }
  ASSERT_EQ(a.shortest.has_value(), b.shortest.has_value());
  if (a.shortest) {
    EXPECT_EQ(a.shortest->schedule, b.shortest->schedule);
  }
  EXPECT_EQ(a.stopped_early, b.stopped_early);
  auto id = [](const std::optional<Witness>& w) { return w ? w->schedule : std::string("(none)"); };
  EXPECT_EQ(id(a.first_complete), id(b.first_complete));
  EXPECT_EQ(id(a.first_ended), id(b.first_ended));
  ASSERT_EQ(a.expect_witness.size(), b.expect_witness.size());
  for (size_t i = 0; i < a.expect_witness.size(); ++i) EXPECT_EQ(id(a.expect_witness[i]), id(b.expect_witness[i]));
}

struct Case {
  const char* file;
  const char* bug;
  Strategy strategy;
  Reduction reduction;
  uint64_t schedules;
};

// Under the sanitizers (kSanitized) the cases keep their shape on fewer schedules.
TEST(ExploreParallel, FourJobsGiveWhatOneGives) {
  const Case cases[] = {
      {"huge-4k-misaligned.scn", "", Strategy::kExhaustive, Reduction::kSleep, 0},
      {"three-thread-fault-mem-pm.scn", "", Strategy::kExhaustive, Reduction::kSleep,
       kSanitized ? 60u : 500u},  // the first ones in DFS order
      {"fault-vs-revoke.scn", "", Strategy::kExhaustive, Reduction::kDpor, 0},
      {"fault-vs-revoke.scn", "", Strategy::kExhaustive, Reduction::kState, 0},
      {"bugs/fault-ignores-revoked.scn", "fault-ignores-revoked", Strategy::kExhaustive, Reduction::kSleep, 0},
      {"bugs/fault-ignores-revoked.scn", "fault-ignores-revoked", Strategy::kRandom, Reduction::kSleep, 300},
      {"bugs/fault-ignores-revoked.scn", "fault-ignores-revoked", Strategy::kPct, Reduction::kSleep, 300},
      {"fault-vs-revoke.scn", "", Strategy::kRandom, Reduction::kSleep, kSanitized ? 300u : 3000u},  // many chunks
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.file) + " strategy=" + std::to_string(static_cast<int>(c.strategy)) +
                 " schedules=" + std::to_string(c.schedules));
    const RepoScenario compiled = CompileRepoScenario(std::string("scenarios/") + c.file,
                                                      *c.bug ? std::vector<std::string>{c.bug} : std::vector<std::string>{});
    ASSERT_TRUE(compiled.program.has_value());
    const Program& p = *compiled.program;
    for (const bool keep_going : {true, false}) {
      SCOPED_TRACE(keep_going ? "keep_going" : "stop at the verdict");
      ExploreOptions one;
      one.strategy = c.strategy;
      one.reduction = c.reduction;
      one.max_schedules = c.schedules;
      one.jobs = 1;
      one.keep_going = keep_going;
      ExploreOptions four = one;
      four.jobs = 4;
      const ExploreResult a = Explore(p, one);
      const ExploreResult b = Explore(p, four);
      if (keep_going) {
        EXPECT_GT(a.schedules, 1u);
      }
      if (*c.bug) {
        EXPECT_FALSE(a.failures.empty());
      }
      ExpectSame(a, b);
    }
  }
}

// Stopping at the verdict keeps exactly the schedules up to the first deciding
// one in canonical order, whatever --jobs: the same as a --keep-going run
// bounded to that many schedules, which then has exactly one failure, its last.
TEST(ExploreParallel, StopsAtTheFirstFailureInCanonicalOrder) {
  // A `never` that holds in a few schedules deep in the tree, and bugs.
  const std::string base = ReadScenario("three-thread-fault-mem-pm.scn");
  const std::string rare = base.substr(0, base.find("expect ")) +
                           "expect never cpu.w == ok && cpu.r == 0 && cpu.s == SIGBUS\n";
  struct Run {
    std::string text;
    std::vector<std::string> bugs;
    Strategy strategy;
    Reduction reduction;
    // Decided after ~1,000 to ~2,000 schedules, explored seven times: minutes
    // under the sanitizers, which run the quick ones (they stop the parallel
    // search too).
    bool long_before_deciding = false;
  };
  const Run runs[] = {
      {rare, {}, Strategy::kExhaustive, Reduction::kSleep, true},
      {rare, {}, Strategy::kExhaustive, Reduction::kDpor, true},
      {base, {"zap-before-lock"}, Strategy::kRandom, Reduction::kSleep},
      {base, {"zap-before-lock"}, Strategy::kExhaustive, Reduction::kSleep},
      {base, {"fault-without-lock"}, Strategy::kExhaustive, Reduction::kSleep},
      {base, {"fault-without-lock"}, Strategy::kPct, Reduction::kSleep},
      // expect violation + sometimes: a PASS decided once both were seen.
      {base.substr(0, base.find("expect ")) + "expect violation stale-pte\nexpect sometimes cpu.w == ok && cpu.r == 0\n",
       {"fault-without-lock"}, Strategy::kExhaustive, Reduction::kSleep, true},
  };
  int n = 0;
  for (const Run& run : runs) {
    SCOPED_TRACE("run " + std::to_string(n++));
    if (kSanitized && run.long_before_deciding) continue;
    absl::StatusOr<scn::Scenario> s = scn::LoadScenario(run.text, "t.scn");
    ASSERT_TRUE(s.ok()) << s.status();
    CompileOptions co;
    co.extra_bugs = run.bugs;
    absl::StatusOr<Program> p = Compile(*s, co);
    ASSERT_TRUE(p.ok()) << p.status();
    ExploreOptions o;
    o.strategy = run.strategy;
    o.reduction = run.reduction;
    o.max_schedules = run.strategy == Strategy::kExhaustive ? 0 : 5000;
    o.jobs = 1;
    const ExploreResult one = Explore(*p, o);
    EXPECT_TRUE(one.stopped_early);
    EXPECT_FALSE(one.exhaustive_complete);
    for (const int jobs : {2, 4}) {
      o.jobs = jobs;
      ExpectSame(one, Explore(*p, o));
    }
    // The same prefix, explored with --keep-going and --schedules=N.
    if (run.strategy == Strategy::kExhaustive) {
      o.jobs = 1;
      o.keep_going = true;
      o.max_schedules = one.schedules;
      const ExploreResult prefix = Explore(*p, o);
      EXPECT_EQ(prefix.schedules, one.schedules);
      EXPECT_EQ(prefix.complete_schedules, one.complete_schedules);
      EXPECT_EQ(prefix.outcomes, one.outcomes);
      EXPECT_EQ(prefix.expect_true, one.expect_true);
      ASSERT_EQ(prefix.failures.size(), one.failures.size());
      // One schedule fewer does not decide it.
      if (one.schedules > 1) {
        o.max_schedules = one.schedules - 1;
        o.keep_going = false;
        const ExploreResult before = Explore(*p, o);
        EXPECT_FALSE(before.stopped_early) << "decided before schedule " << one.schedules;
      }
    }
  }
}

// Lockdep across schedules (also what `merge` runs across shards).
TEST(LockOrderAcrossSchedules, FindsTheFirstClosingScheduleAndKeepsOnlyNewEdges) {
  const int mem = static_cast<int>(LockClass::kMemoryLock), mmap = static_cast<int>(LockClass::kMmapLock);
  auto step = [](std::vector<std::pair<int, int>> edges, std::string sched) {
    LockStep ls;
    for (auto [a, b] : edges) ls.graph.Add(a, b);
    ls.schedule = std::move(sched);
    ls.steps = static_cast<int>(ls.schedule.size());
    return ls;
  };
  ExploreResult r;
  r.lock_steps = {step({{mmap, mem}}, "00"), step({{mmap, mem}}, "01"), step({{mem, mmap}}, "011"),
                  step({{mem, mmap}}, "0111")};
  CheckLockOrderAcrossSchedules(&r);
  ASSERT_EQ(r.failures.count(Invariant::kLockOrder), 1u);
  const Failure& f = r.failures.at(Invariant::kLockOrder);
  EXPECT_EQ(f.schedule, "011");  // the first that closes the cycle
  EXPECT_NE(f.message.find("earlier schedule"), std::string::npos) << f.message;
  ASSERT_EQ(r.lock_steps.size(), 2u);  // "01" and "0111" add no edge
  EXPECT_EQ(r.lock_steps[0].schedule, "00");
  EXPECT_EQ(r.lock_steps[1].schedule, "011");

  // One order only: no failure. A lock-order failure found within a schedule stays.
  ExploreResult clean;
  clean.lock_steps = {step({{mmap, mem}}, "0"), step({{mmap, mem}}, "1")};
  CheckLockOrderAcrossSchedules(&clean);
  EXPECT_TRUE(clean.failures.empty());
  ExploreResult within;
  within.failures[Invariant::kLockOrder] = Failure{Invariant::kLockOrder, "within one schedule", "1", 1, 1};
  within.lock_steps = r.lock_steps;
  CheckLockOrderAcrossSchedules(&within);
  EXPECT_EQ(within.failures.at(Invariant::kLockOrder).message, "within one schedule");
}

}  // namespace
}  // namespace vfiosim::sim
