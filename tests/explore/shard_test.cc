// Sharded exhaustive exploration (--shard=K/N, sim/explore/explorer.cc's
// SplitBalanced and AssignShard): the shards together are exactly the
// unsharded search, whatever N and --jobs, and their sizes are close (issue 17:
// shards that finish together).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sim/explore/explorer.h"
#include "sim/run/program.h"
#include "sim/scenario/parser.h"
#include "tests/repo_scenario.h"
#include "tests/sanitized.h"

namespace vfiosim::sim {
namespace {

std::vector<ExploreResult> Shards(const Program& p, ExploreOptions o, int n) {
  std::vector<ExploreResult> out;
  o.shard_count = n;
  for (int k = 0; k < n; ++k) {
    o.shard_index = k;
    out.push_back(Explore(p, o));
  }
  return out;
}

struct ShardCase {
  const char* file;
  const char* bug;
  bool heavy;  // thousands of schedules: N=3 and 8 only, skipped under the sanitizers
};

// The union of the shards is the unsharded exploration: with --keep-going the
// counts add up to the unsharded ones and `merge` (MergeResults in shard order)
// gives its outcomes, expectations and failures.
TEST(ExploreShards, TogetherTheyAreTheWholeSearch) {
  const ShardCase cases[] = {
      {"scenarios/huge-4k-misaligned.scn", "", false},
      {"scenarios/bugs/huge-fault-unaligned-pfn.scn", "huge-fault-unaligned-pfn", false},
      {"scenarios/bugs/fault-ignores-revoked.scn", "fault-ignores-revoked", false},
      {"bench/spin/anchor-2x1.scn", "", true},
  };
  for (const ShardCase& c : cases) {
    if (kSanitized && c.heavy) continue;
    SCOPED_TRACE(c.file);
    const RepoScenario compiled =
        CompileRepoScenario(c.file, *c.bug ? std::vector<std::string>{c.bug} : std::vector<std::string>{});
    ASSERT_TRUE(compiled.program.has_value());
    const Program& p = *compiled.program;
    ExploreOptions o;
    o.jobs = 1;
    o.keep_going = true;
    const ExploreResult whole = Explore(p, o);
    EXPECT_TRUE(whole.exhaustive_complete);
    EXPECT_GT(whole.schedules, 1u);
    if (*c.bug) {
      EXPECT_FALSE(whole.failures.empty());
    }
    for (const int n : {2, 3, 5, 8}) {
      if (c.heavy && (n == 2 || n == 5)) continue;  // a second each
      SCOPED_TRACE("N=" + std::to_string(n));
      const std::vector<ExploreResult> shards = Shards(p, o, n);
      ExploreResult merged;
      bool complete = true;
      for (const ExploreResult& s : shards) {
        EXPECT_TRUE(s.shard);
        complete &= s.exhaustive_complete;
        MergeResults(&merged, ExploreResult(s));
      }
      EXPECT_TRUE(complete);
      EXPECT_EQ(merged.schedules, whole.schedules);
      EXPECT_EQ(merged.complete_schedules, whole.complete_schedules);
      EXPECT_EQ(merged.pruned, whole.pruned);
      EXPECT_EQ(merged.steps, whole.steps);
      EXPECT_EQ(merged.step_limited, whole.step_limited);
      EXPECT_EQ(merged.outcomes, whole.outcomes);
      EXPECT_EQ(merged.expect_true, whole.expect_true);
      ASSERT_EQ(merged.failures.size(), whole.failures.size());
      for (const auto& [inv, f] : whole.failures) {
        ASSERT_TRUE(merged.failures.count(inv));
        EXPECT_EQ(merged.failures.at(inv).count, f.count);
        EXPECT_EQ(merged.failures.at(inv).steps, f.steps);  // the shortest
      }
      ASSERT_EQ(merged.shortest.has_value(), whole.shortest.has_value());
      if (whole.shortest) {
        EXPECT_EQ(merged.shortest->steps, whole.shortest->steps);
      }
    }
  }
}

// A shard gives the same with any --jobs (it cuts its own subtrees further for
// its workers), and stops at its own first failure without --keep-going.
TEST(ExploreShards, AShardIsTheSameWithMoreJobs) {
  const RepoScenario compiled =
      CompileRepoScenario("scenarios/bugs/huge-fault-unaligned-pfn.scn", {"huge-fault-unaligned-pfn"});
  ASSERT_TRUE(compiled.program.has_value());
  const Program& p = *compiled.program;
  for (const bool keep_going : {true, false}) {
    SCOPED_TRACE(keep_going ? "keep_going" : "stop at the verdict");
    ExploreOptions o;
    o.keep_going = keep_going;
    o.jobs = 1;
    const std::vector<ExploreResult> one = Shards(p, o, 3);
    o.jobs = 3;
    const std::vector<ExploreResult> three = Shards(p, o, 3);
    for (size_t k = 0; k < one.size(); ++k) {
      SCOPED_TRACE("shard " + std::to_string(k));
      EXPECT_EQ(one[k].schedules, three[k].schedules);
      EXPECT_EQ(one[k].pruned, three[k].pruned);
      EXPECT_EQ(one[k].steps, three[k].steps);
      EXPECT_EQ(one[k].outcomes, three[k].outcomes);
      EXPECT_EQ(one[k].stopped_early, three[k].stopped_early);
      EXPECT_EQ(one[k].exhaustive_complete, three[k].exhaustive_complete);
      ASSERT_EQ(one[k].failures.size(), three[k].failures.size());
      for (const auto& [inv, f] : one[k].failures) {
        EXPECT_EQ(three[k].failures.at(inv).schedule, f.schedule);
        EXPECT_EQ(three[k].failures.at(inv).count, f.count);
      }
    }
  }
}

// Shards finish together: on bench/spin/anchor-2x1.scn (9602 schedules and
// about 90,000 sleep-set-pruned executions) the largest of 3 shards has at most
// 1.5 times the schedules of the smallest. Measured: 3189 / 2941 / 3472 (1.18);
// the round-robin split before gave 3957 / 3169 / 2476 (1.60).
TEST(ExploreShards, ShardsAreAboutTheSameSize) {
  if (kSanitized) GTEST_SKIP() << "thousands of schedules per shard";
  const RepoScenario compiled = CompileRepoScenario("bench/spin/anchor-2x1.scn");
  ASSERT_TRUE(compiled.program.has_value());
  ExploreOptions o;
  o.jobs = 1;
  o.keep_going = true;
  const std::vector<ExploreResult> shards = Shards(*compiled.program, o, 3);
  uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
  for (const ExploreResult& s : shards) {
    lo = std::min(lo, s.schedules);
    hi = std::max(hi, s.schedules);
    sum += s.schedules;
  }
  ExploreOptions whole = o;
  EXPECT_EQ(sum, Explore(*compiled.program, whole).schedules);
  EXPECT_LE(2 * hi, 3 * lo) << "largest shard " << hi << " schedules, smallest " << lo;
}

}  // namespace
}  // namespace vfiosim::sim
