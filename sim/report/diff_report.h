// `vfiosim diff` (spec 1.1, "Comparing two kernels"): what two exhaustive
// explorations of one scenario found, compared — the outcomes and the violated
// invariants present on one side only, each with a witness schedule of its side,
// and for a reader the witness side by side with the other kernel following the
// same thread order as far as it can.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/explore/explorer.h"
#include "sim/report/json.h"
#include "sim/run/program.h"

namespace vfiosim::sim {

// One side: the options that chose its kernel (as `run` takes them), its
// program and what exploring it found.
struct DiffSide {
  std::string options;  // "--variant=legacy --fix=NAME"
  const Program* program = nullptr;
  ExploreResult result;
  std::string shard;  // "K/N" when only shard K of N was explored (--shard), else empty
};

// An outcome, or a violated invariant, that one side has and the other has not.
struct DiffEntry {
  bool violation = false;
  std::string what;      // the outcome ("cpu.r=0 admin.c=ok") or the invariant's name
  std::string schedule;  // its witness on its own side ("-" for the empty id)
  // Filled by AddWitnesses(): the witness replayed with its trace, and the other
  // side run in the witness's thread order as far as that side can follow it.
  ExecResult witness;
  ExecResult counterpart;
};

struct DiffResult {
  std::string scenario;
  std::vector<DiffEntry> only_a, only_b;
  size_t outcomes = 0;   // distinct outcomes of side A (= of side B when SAME)
  bool bounded = false;  // a side's exploration did not cover the whole space
  bool same() const { return only_a.empty() && only_b.empty(); }
};

// The outcome as the report shows it: "(no variables)" for the empty one.
std::string ShownOutcome(const std::string& outcome);

DiffResult CompareSides(const DiffSide& a, const DiffSide& b);
// Replays each entry's witness (with its trace) and runs its counterpart.
void AddWitnesses(const DiffSide& a, const DiffSide& b, const ExecOptions& o, DiffResult* d);

// Runs p in the thread order of schedule id `guide` as far as p's threads can
// follow it (a thread that the id names but that cannot run there is passed
// over until it can), then the lowest runnable thread. The result's schedule
// is p's own id for that run: `--replay` of it reproduces it exactly.
ExecResult FollowSchedule(const Program& p, const std::string& guide, ExecOptions o);

// `diff: SAME <name> outcomes=<n>` / `diff: DIFFERENT <name> only-a=<k> only-b=<m>`, ` bounded` when bounded.
std::string DiffLine(const DiffResult& d);
// The only-a:/only-b: lines, each `only-a: <outcome or violation=<inv>> schedule=<id>`.
std::string DiffEntryLine(const DiffEntry& e, bool side_a);

// The text report of one scenario, ending with DiffLine().
std::string RenderDiff(const DiffSide& a, const DiffSide& b, const DiffResult& d);
// Two trace tables (RenderTrace) next to each other, `left` padded to its
// widest line, aligned step by step (and setup with setup); a `*` between them
// marks the lines that differ.
std::string SideBySide(const std::string& left, const std::string& right);
json::Value DiffToJson(const std::string& file, const DiffSide& a, const DiffSide& b, const DiffResult& d);

// What `vfiosim merge` needs back from a diff report of one shard: the file, the
// shard, and per side its options and what it found (schedules, completeness,
// outcomes and violations with counts and witnesses).
struct DiffShardReport {
  std::string scenario, file;
  int shard_index = 0, shard_count = 1;
  std::string options[2];
  ExploreResult result[2];
};
absl::StatusOr<DiffShardReport> DiffReportFromJson(json::View v);

}  // namespace vfiosim::sim
