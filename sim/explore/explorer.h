// The explorer: runs a Program over many schedules and aggregates what happened.
//
//  - exhaustive: stateless DFS over all interleavings with sleep sets (Godefroid):
//    a thread whose next op commutes with the step taken stays asleep, so
//    equivalent interleavings are explored once. Each node's sleep set depends
//    only on its path, so the tree is the same whatever the order of work: it is
//    cut into subtrees that TBB workers explore independently, and results merge
//    in DFS order, so output does not depend on --jobs.
//  - random: each schedule picks uniformly among enabled threads, seeded by
//    (seed, schedule index).
//  - pct: Burckhardt et al., ASPLOS 2010: random thread priorities and d-1 random
//    priority change points; each schedule seeded by (seed, schedule index).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/check/checker.h"
#include "sim/run/execution.h"
#include "sim/run/program.h"

namespace vfiosim::sim {

enum class Strategy { kExhaustive, kRandom, kPct };
// Exhaustive search's reduction: none (every interleaving), sleep sets, or DPOR
// with sleep sets. DPOR's backtrack sets grow across subtrees, so a DPOR search
// runs as one task (--jobs does not split it).
// kState: sleep sets with a visited-state table (sim/explore/state_cache.h),
// also one task.
enum class Reduction { kNone, kSleep, kDpor, kState };

struct ExploreOptions {
  Strategy strategy = Strategy::kExhaustive;
  uint64_t max_schedules = 0;  // 0: unbounded (exhaustive) / 1000 (random, pct)
  uint64_t seed = 1;
  int jobs = 1;
  int pct_depth = 3;
  int max_preemptions = -1;  // exhaustive: -1 unbounded
  Reduction reduction = Reduction::kSleep;
  // kState: store 64-bit fingerprints instead of whole states (--state_table=hash);
  // the search is then not complete.
  bool state_hash_compaction = false;
  int shard_index = 0;       // --shard=K/N
  int shard_count = 1;
  double timeout_seconds = 0;  // 0: none
  ExecOptions exec;
  bool progress = false;  // progress lines on stderr
  // Explore the whole space even once the verdict is decided. Without it a run
  // stops at the first schedule, in canonical (DFS / index) order, that decides
  // the verdict: the first failure, or with `expect violation`, the schedule
  // after which every expectation holds (ExploreResult::stopped_early).
  bool keep_going = false;
};

// A schedule that shows something: its id and length.
struct Witness {
  std::string schedule;
  int steps = 0;
};

struct Failure {
  Invariant inv;
  std::string message;
  std::string schedule;
  int steps = 0;
  uint64_t count = 0;  // schedules that failed this way
};

// An execution that brought lock-class edges not seen before it (in canonical
// order): its whole lock graph, for lockdep across schedules (and shards).
struct LockStep {
  LockGraph graph;
  std::string schedule;
  int steps = 0;
};

struct ExploreResult {
  uint64_t schedules = 0;           // executions counted (complete, failing or cut by --max-steps)
  uint64_t complete_schedules = 0;  // without a violation
  uint64_t pruned = 0;              // sleep-set blocked (redundant) executions
  // --reduction=state: states stored in the table, executions ended at a state
  // explored before, states explored again with a smaller sleep set or less
  // --max-steps budget, distinct shared (machine and checker) states.
  uint64_t states_stored = 0;
  uint64_t states_matched = 0;
  uint64_t states_revisited = 0;
  uint64_t shared_states = 0;
  bool state_hash_compaction = false;  // fingerprints: a collision may have hidden a state
  uint64_t step_limited = 0;        // hit --max-steps
  uint64_t steps = 0;               // total steps executed
  bool exhaustive_complete = false; // the whole space was explored
  bool timed_out = false;
  bool preemption_bounded = false;  // --max-preemptions kept some schedules out
  std::map<std::string, uint64_t> outcomes;
  // Per outcome: the first schedule in canonical (DFS / sample index) order that
  // ended with it, whatever --jobs is (`vfiosim diff` prints it as the witness).
  std::map<std::string, std::string> outcome_witness;
  std::vector<uint64_t> expect_true;  // per expectation: complete schedules where the cond holds
  std::map<Invariant, Failure> failures;  // per invariant: count and the shortest example
  std::optional<Failure> shortest;        // the shortest failing schedule overall
  std::vector<LockStep> lock_steps;       // in canonical order; only those that add edges
  // A run of one shard of several (--shard=K/N, N > 1): never the whole space,
  // whatever exhaustive_complete (this shard's part explored) says.
  bool shard = false;
  // Stopped at the schedule that decided the verdict (not --keep-going) with
  // some of the space left unexplored.
  bool stopped_early = false;
  // Witnesses, each the first in canonical order: per expectation, a schedule
  // where an `always` condition is false or a `never` condition true; the first
  // schedule that ended without a violation; the first that ended at all
  // (complete or violating); the first cut by --max-steps.
  std::vector<std::optional<Witness>> expect_witness;
  std::optional<Witness> first_complete;
  std::optional<Witness> first_ended;
  std::optional<Witness> first_step_limited;
};

ExploreResult Explore(const Program& p, const ExploreOptions& o);

// Adds `later` (the results of schedules after into's in canonical order: a
// later part of the search, or a later shard) to *into: counts and histograms
// add up, flags (timed out, preemption-bounded, stopped early) combine, each
// witness is the earlier one and each failure the shortest (ties: the earlier);
// later's lock steps move to the end of into's. Leaves exhaustive_complete and
// shard alone: the caller knows whether the whole space was covered.
void MergeResults(ExploreResult* into, ExploreResult&& later);

// Lockdep across schedules: in the order of r->lock_steps, the first execution
// whose lock-class edges close a cycle with those of earlier executions becomes
// r's lock-order failure (unless it has one). Keeps only the lock steps that
// add edges. Explore() calls it; `vfiosim merge` calls it on the shards' steps.
void CheckLockOrderAcrossSchedules(ExploreResult* r);

// Replays one schedule id; past its end the lowest enabled thread runs. Returns
// an error for an id that does not fit the scenario.
absl::StatusOr<ExecResult> Replay(const Program& p, const std::string& schedule, ExecOptions o);

// A Chooser that follows a schedule id.
class ReplayChooser : public Chooser {
 public:
  explicit ReplayChooser(std::string id) : id_(std::move(id)) {}
  int Choose(int step, std::span<const int> enabled, std::span<Thread* const> threads) override;
  bool bad() const { return bad_; }
  bool consumed_all() const { return pos_ >= id_.size(); }

 private:
  std::string id_;
  size_t pos_ = 0;
  bool bad_ = false;
};

}  // namespace vfiosim::sim
