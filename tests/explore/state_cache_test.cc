// The stateful search (--reduction=state): the visited-state table's rules
// (sim/explore/state_cache.h) and what the search finds on repository
// scenarios against the stateless ones. Its soundness on generated scenarios is
// tests/explore/soundness_test.cc's.
#include "sim/explore/state_cache.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sim/core/discipline.h"
#include "sim/explore/explorer.h"
#include "tests/repo_scenario.h"
#include "tests/sanitized.h"

namespace vfiosim::sim {
namespace {

TEST(StateCache, EqualBytesAreOneSharedState) {
  StateCache c;
  const uint32_t a = c.Intern("abc"), b = c.Intern("abd");
  EXPECT_NE(a, b);
  EXPECT_EQ(c.Intern(std::string("abc")), a);
  // A shared state is its view and its rest together.
  const uint32_t s = c.Shared(a, b);
  EXPECT_EQ(c.Shared(a, b), s);
  EXPECT_NE(c.Shared(b, a), s);
  EXPECT_NE(c.Shared(a, a), s);
  EXPECT_EQ(c.shared_states(), 3u);
  // Histories: the same steps from the same states are one history.
  const uint32_t h = c.Extend(0, a);
  EXPECT_EQ(c.Extend(0, a), h);
  EXPECT_NE(c.Extend(0, b), h);
  EXPECT_NE(c.Extend(h, a), h);
}

TEST(StateCache, AStateIsSkippedOnlyWhenItsSleepSetCoveredMore) {
  StateCache c;
  // First visit, sleeping {1}: explored.
  StateCache::Visit v = c.Enter("s", 0b010, 0);
  EXPECT_FALSE(v.matched);
  EXPECT_EQ(v.sleep, 0b010u);
  // Again with a superset asleep: nothing new to explore.
  EXPECT_TRUE(c.Enter("s", 0b110, 0).matched);
  EXPECT_TRUE(c.Enter("s", 0b010, 0).matched);
  // Again with {1} awake: only thread 1, which slept before, is explored, and
  // the stored sleep set shrinks to the intersection.
  v = c.Enter("s", 0b100, 0);
  EXPECT_FALSE(v.matched);
  EXPECT_EQ(v.only, 0b010u);
  EXPECT_EQ(v.sleep, 0u);
  EXPECT_TRUE(c.Enter("s", 0b001, 0).matched);
  EXPECT_EQ(c.stored(), 1u);
  EXPECT_EQ(c.matched(), 3u);
  EXPECT_EQ(c.revisited(), 1u);
}

TEST(StateCache, LessStepLimitBudgetExploresAgainInFull) {
  StateCache c;
  EXPECT_FALSE(c.Enter("s", 0, 3).matched);
  EXPECT_TRUE(c.Enter("s", 0, 2).matched);  // more budget left than stored
  const StateCache::Visit v = c.Enter("s", 0, 5);
  EXPECT_FALSE(v.matched);
  EXPECT_EQ(v.only, ~uint64_t{0});
  EXPECT_TRUE(c.Enter("s", 0, 5).matched);
}

ExploreResult ExploreKeepingOn(const Program& p, Reduction red) {
  ExploreOptions o;
  o.reduction = red;
  o.jobs = 1;
  o.keep_going = true;
  o.exec.check_discipline = true;
  return Explore(p, o);
}

// The test suite's check of the key: a state reached again must continue
// alike (its threads' next ops), or the key took two states as one.
TEST(StateCache, TheCheckRefusesAMatchThatContinuesOtherwise) {
  StateCache c(/*compact=*/false, /*check_next=*/true);
  c.Enter("s", 0, 0, "t0: read pte");
  EXPECT_NO_THROW(c.Enter("s", 0, 0, "t0: read pte"));
  EXPECT_THROW(c.Enter("s", 0, 0, "t0: lock_read mmap_lock(mm0)"), DisciplineError);
  EXPECT_NO_THROW(c.Enter("t", 0, 0, "t0: lock_read mmap_lock(mm0)")) << "another state";
  StateCache off;  // without the check, next ops are not compared
  off.Enter("s", 0, 0, "t0: read pte");
  EXPECT_NO_THROW(off.Enter("s", 0, 0, "t0: lock_read mmap_lock(mm0)"));
}

// Threads that fault on the same pages reach the same states in many orders:
// the table explores each once. The outcomes, violations and verdict inputs are
// those of the stateless search.
TEST(StatefulSearch, FindsWhatSleepSetsFindInFewerExecutions) {
  const char* files[] = {"scenarios/two-faulting-threads.scn", "scenarios/fault-vs-revoke.scn",
                         "bench/spin/anchor-2x1.scn"};
  for (const char* f : files) {
    if (kSanitized && std::string(f).find("anchor") != std::string::npos) continue;
    SCOPED_TRACE(f);
    const RepoScenario s = CompileRepoScenario(f);
    ASSERT_TRUE(s.program.has_value());
    const ExploreResult sleep = ExploreKeepingOn(*s.program, Reduction::kSleep);
    const ExploreResult state = ExploreKeepingOn(*s.program, Reduction::kState);
    ASSERT_TRUE(sleep.exhaustive_complete);
    ASSERT_TRUE(state.exhaustive_complete);
    std::set<std::string> a, b;
    for (const auto& [o, n] : sleep.outcomes) a.insert(o);
    for (const auto& [o, n] : state.outcomes) b.insert(o);
    EXPECT_EQ(a, b);
    EXPECT_EQ(sleep.failures.size(), state.failures.size());
    EXPECT_GT(state.states_stored, 0u);
    EXPECT_GT(state.states_matched, 0u);
    EXPECT_LE(state.schedules + state.pruned + state.states_matched, sleep.schedules + sleep.pruned);
    EXPECT_LT(state.schedules, sleep.schedules);
  }
}

// On the Spin anchor, where threads reach one state by reading different
// page tables, revoke states and registers, every state matched continues as
// the state stored did (the check above, on; it catches, e.g., a page-table
// walk that does not report its result).
TEST(StatefulSearch, MatchedStatesContinueAlikeOnTheSpinAnchor) {
  const RepoScenario s = CompileRepoScenario(kSanitized ? "bench/spin/anchor-2x1.scn" : "bench/spin/anchor-2x2.scn");
  ASSERT_TRUE(s.program.has_value());
  ExploreResult r;
  ASSERT_NO_THROW(r = ExploreKeepingOn(*s.program, Reduction::kState));
  EXPECT_TRUE(r.exhaustive_complete);
  EXPECT_TRUE(r.failures.empty());
  EXPECT_GT(r.states_matched, 0u);
}

// A fault's retry forgets what the fault read (sim::RetryScope in
// mm::user_access()): on the 2 x 1 anchor the table stores 6,613 states, and
// 13,222 when each thread is keyed by everything it read until its op ends.
TEST(StatefulSearch, ARetriedFaultIsKeyedByWhereItsAccessBegan) {
  const RepoScenario s = CompileRepoScenario("bench/spin/anchor-2x1.scn");
  ASSERT_TRUE(s.program.has_value());
  const ExploreResult r = ExploreKeepingOn(*s.program, Reduction::kState);
  EXPECT_TRUE(r.exhaustive_complete);
  EXPECT_LE(r.states_stored, 7000u);
  EXPECT_GT(r.states_stored, 0u);
}

// Hash compaction stores fingerprints: the same states are found (no collision
// among a few thousand), and the search does not call itself complete.
TEST(StatefulSearch, HashCompactionFindsTheSameButIsNotComplete) {
  const RepoScenario s = CompileRepoScenario("scenarios/fault-vs-revoke.scn");
  ASSERT_TRUE(s.program.has_value());
  ExploreOptions o;
  o.reduction = Reduction::kState;
  o.jobs = 1;
  o.keep_going = true;
  const ExploreResult exact = Explore(*s.program, o);
  o.state_hash_compaction = true;
  const ExploreResult hashed = Explore(*s.program, o);
  EXPECT_TRUE(exact.exhaustive_complete);
  EXPECT_FALSE(hashed.exhaustive_complete);
  EXPECT_TRUE(hashed.state_hash_compaction);
  EXPECT_EQ(hashed.states_stored, exact.states_stored);
  EXPECT_EQ(hashed.outcomes, exact.outcomes);
  EXPECT_EQ(hashed.schedules, exact.schedules);
}

TEST(StateCache, CompactTableKeepsTheRules) {
  StateCache c(true);
  EXPECT_EQ(c.Intern("abc"), c.Intern("abc"));
  EXPECT_NE(c.Intern("abc"), c.Intern("abd"));
  EXPECT_FALSE(c.Enter("s", 0b010, 0).matched);
  EXPECT_TRUE(c.Enter("s", 0b110, 0).matched);
  EXPECT_FALSE(c.Enter("t", 0b110, 0).matched);
  const StateCache::Visit v = c.Enter("s", 0b100, 0);
  EXPECT_FALSE(v.matched);
  EXPECT_EQ(v.only, 0b010u);
  EXPECT_EQ(c.stored(), 2u);
}

// A planted bug is found, with a schedule that replays to the same failure.
TEST(StatefulSearch, FindsAPlantedBugWithAReplayableWitness) {
  const RepoScenario s = CompileRepoScenario("scenarios/bugs/fault-ignores-revoked.scn", {"fault-ignores-revoked"});
  ASSERT_TRUE(s.program.has_value());
  const ExploreResult r = ExploreKeepingOn(*s.program, Reduction::kState);
  ASSERT_TRUE(r.shortest.has_value());
  absl::StatusOr<ExecResult> e = Replay(*s.program, r.shortest->schedule, ExecOptions{});
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_TRUE(e->violation.has_value());
  EXPECT_EQ(e->violation->inv, r.shortest->inv);
}

}  // namespace
}  // namespace vfiosim::sim
