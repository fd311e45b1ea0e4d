// `vfiosim merge REPORT.json...`: combine the JSON reports of the shards of one
// exploration (`run --shard=K/N --format=json`) into the verdict a single run
// gives (or those of `diff --shard=K/N --format=json` into one comparison).
// Counts and outcome histograms add up; the shortest failure wins (ties: the
// lowest shard); `complete` needs every shard 0..N-1 exactly once, each
// complete (a shard alone says `bounded`; a shard that stopped at its first
// failure is not complete: run the shards with --keep-going for whole spaces).
// Lock-order cycles whose two halves fall in different shards are found: each
// report carries its lock steps, and lockdep runs again over all of them.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "sim/cli/commands.h"
#include "sim/report/json_report.h"
#include "sim/report/text_report.h"
#include "sim/report/verdict.h"

namespace vfiosim::cli {

int MergeMain(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << "vfiosim: merge needs the JSON reports of the shards (run --shard=K/N --format=json)\n";
    return kExitUsage;
  }
  std::vector<sim::ShardReport> shards;
  std::vector<json::Value> diffs;  // `diff --format=json` reports: MergeDiffReports()
  for (const std::string& path : args) {
    std::ifstream f(path);
    if (!f) {
      std::cerr << "vfiosim: cannot read " << path << "\n";
      return kExitUsage;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    absl::StatusOr<json::Value> v = json::Parse(ss.str());
    if (!v.ok()) {
      std::cerr << path << ": error: " << v.status().message() << "\n";
      return kExitUsage;
    }
    if (!json::View(*v)["vfiosim_diff"].is_null() || !diffs.empty()) {
      diffs.push_back(std::move(*v));
      continue;
    }
    absl::StatusOr<sim::ShardReport> r = sim::ReportFromJson(*v);
    if (!r.ok()) {
      std::cerr << path << ": error: " << r.status().message() << "\n";
      return kExitUsage;
    }
    shards.push_back(std::move(*r));
  }
  if (!diffs.empty()) {
    if (!shards.empty()) {
      std::cerr << "vfiosim: merge: run reports and diff reports cannot be merged together\n";
      return kExitUsage;
    }
    return MergeDiffReports(diffs);
  }
  const sim::ShardReport& first = shards[0];
  const int n = first.meta.shard_count;
  if (n < 1 || n > 100000) {  // as --shard=K/N accepts
    std::cerr << "vfiosim: bad shard count " << n << " in a report (1 to 100000)\n";
    return kExitUsage;
  }
  std::vector<int> seen(static_cast<size_t>(std::max(n, 1)), 0);
  sim::ExploreResult all;
  bool complete = true;
  // In shard order, whatever the order of the arguments (ties and witnesses:
  // the lowest shard).
  std::vector<const sim::ShardReport*> by_index;
  for (const sim::ShardReport& s : shards) by_index.push_back(&s);
  std::stable_sort(by_index.begin(), by_index.end(), [](const sim::ShardReport* a, const sim::ShardReport* b) {
    return a->meta.shard_index < b->meta.shard_index;
  });
  for (const sim::ShardReport* sp : by_index) {
    const sim::ShardReport& s = *sp;
    if (s.scenario != first.scenario || s.meta.shard_count != n || s.meta.strategy != first.meta.strategy ||
        s.expectations.expectations.size() != first.expectations.expectations.size()) {
      std::cerr << "vfiosim: the reports are not shards of one exploration (scenario, strategy or N differ)\n";
      return kExitUsage;
    }
    if (s.meta.shard_index < 0 || s.meta.shard_index >= n) {
      std::cerr << "vfiosim: bad shard index in a report\n";
      return kExitUsage;
    }
    seen[static_cast<size_t>(s.meta.shard_index)]++;
    complete &= s.result.exhaustive_complete;
    // As the explorer merges the parts of one search; the shards' lock steps
    // follow one another in shard order.
    sim::MergeResults(&all, sim::ExploreResult(s.result));
  }
  std::string missing;
  for (int i = 0; i < n; ++i) {
    if (seen[static_cast<size_t>(i)] > 1) {
      std::cerr << "vfiosim: shard " << i << "/" << n << " given twice\n";
      return kExitUsage;
    }
    if (!seen[static_cast<size_t>(i)]) missing += " " + std::to_string(i);
  }
  all.exhaustive_complete = complete && missing.empty();
  // Lockdep across shards: a lock-order cycle whose edges come from schedules
  // of different shards, checked over the shards' lock steps in shard order.
  sim::CheckLockOrderAcrossSchedules(&all);
  const scn::Scenario& s = first.expectations;
  sim::Verdict v = sim::ComputeVerdict(s, all);
  std::cout << "Merged " << shards.size() << " of " << n << " shards of " << first.scenario;
  if (!missing.empty()) std::cout << " (missing:" << missing << ")";
  std::cout << "\n";
  for (const auto& [k, c] : all.outcomes) std::cout << "  " << c << "  " << k << "\n";
  std::cout << sim::RenderObservations(v);
  for (const auto& [inv, f] : all.failures)
    std::cout << "Violation " << sim::InvariantName(inv) << " in " << f.count << " schedule(s): " << f.message
              << " (shortest: schedule=" << (f.schedule.empty() ? "-" : f.schedule) << ")\n";
  if (all.stopped_early)
    std::cout << "Some shard stopped at its first failure (--keep-going explores the whole space)\n";
  // The witness of the verdict (spec 1.1), replayable with the shards' options.
  if (std::optional<sim::Witness> w = sim::VerdictWitness(s, all, v))
    std::cout << "Failing schedule for " << v.reason << ": schedule=" << (w->schedule.empty() ? "-" : w->schedule)
              << " (replay with vfiosim run --replay=" << (w->schedule.empty() ? "-" : w->schedule)
              << " and the shards' options)\n";
  std::cout << sim::VerdictLine(s, all, v) << "\n";
  return v.pass ? kExitPass : kExitFail;
}

}  // namespace vfiosim::cli
