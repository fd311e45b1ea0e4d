// `vfiosim diff [--a='OPTIONS'] [--b='OPTIONS'] FILE...` (spec 1.1, "Comparing
// two kernels"): each scenario explored exhaustively on two kernels — side A
// (default --variant=legacy) and side B (default --variant=dmabuf), each side's
// options adding to its default — and the outcomes and violated invariants
// compared. Output and exit status: sim/report/diff_report.h. Which of run's
// flags diff takes: sim/cli/flag_table.cc.
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/flags/flag.h"
#include "sim/cli/commands.h"
#include "sim/cli/kernel_options.h"
#include "sim/cli/run_config.h"
#include "sim/report/diff_report.h"

ABSL_FLAG(std::string, a, "",
          "diff: side A's kernel options, added to --variant=legacy (e.g. --a='--variant=dmabuf --fix=NAME'); "
          "any of --variant --arch --kconfig --fix --bug");
ABSL_FLAG(std::string, b, "", "diff: side B's kernel options, added to --variant=dmabuf (as --a)");

namespace vfiosim::cli {
namespace {

int DiffOne(const std::string& file, const RunConfig& rc, const sim::CompileOptions& ca,
            const sim::CompileOptions& cb) {
  std::unique_ptr<scn::Scenario> s = LoadScenario(file);
  if (!s) return kExitUsage;
  std::optional<sim::Program> pa = CompileScenario(*s, ca);
  if (!pa) return kExitUsage;
  std::optional<sim::Program> pb = CompileScenario(*s, cb);
  if (!pb) return kExitUsage;
  sim::ExploreOptions eo = rc.explore;
  eo.keep_going = true;  // every outcome and every violation, not just the first failure
  // One shard covers part of the space (spec, "Running"): the comparison is bounded.
  const std::string shard =
      eo.shard_count > 1 ? std::to_string(eo.shard_index) + "/" + std::to_string(eo.shard_count) : "";
  sim::DiffSide a{KernelOptionsString(ca), &*pa, sim::Explore(*pa, eo), shard};
  sim::DiffSide b{KernelOptionsString(cb), &*pb, sim::Explore(*pb, eo), shard};
  sim::DiffResult d = sim::CompareSides(a, b);
  sim::AddWitnesses(a, b, eo.exec, &d);
  if (rc.json)
    std::cout << json::Dump(sim::DiffToJson(file, a, b, d), 2) << "\n";
  else
    std::cout << sim::RenderDiff(a, b, d);
  std::cout.flush();
  return d.same() && !d.bounded ? kExitPass : kExitFail;
}

}  // namespace

int MergeDiffReports(const std::vector<json::Value>& reports) {
  std::vector<sim::DiffShardReport> shards;
  for (const json::Value& v : reports) {
    absl::StatusOr<sim::DiffShardReport> r = sim::DiffReportFromJson(v);
    if (!r.ok()) return Usage(std::string(r.status().message()));
    shards.push_back(std::move(*r));
  }
  const sim::DiffShardReport& first = shards[0];
  const int n = first.shard_count;
  if (n < 1 || n > 100000) return Usage("bad shard count in a diff report");
  std::vector<int> seen(static_cast<size_t>(n), 0);
  for (const sim::DiffShardReport& s : shards) {
    if (s.scenario != first.scenario || s.file != first.file || s.shard_count != n ||
        s.options[0] != first.options[0] || s.options[1] != first.options[1])
      return Usage("the diff reports are not shards of one comparison (scenario, file, sides or N differ)");
    if (s.shard_index < 0 || s.shard_index >= n || seen[static_cast<size_t>(s.shard_index)]++)
      return Usage("bad or repeated shard index in the diff reports");
  }
  std::sort(shards.begin(), shards.end(), [](const sim::DiffShardReport& x, const sim::DiffShardReport& y) {
    return x.shard_index < y.shard_index;
  });
  // Each side as one exploration, merged as the explorer merges its parts:
  // counts add up; an outcome's or violation's witness is the one of the lowest
  // shard that has it (diff reports carry no step counts to prefer a shorter).
  sim::ExploreResult merged[2];
  for (int i = 0; i < 2; ++i) {
    merged[i].exhaustive_complete = shards.size() == static_cast<size_t>(n);
    for (const sim::DiffShardReport& s : shards) {
      merged[i].exhaustive_complete &= s.result[i].exhaustive_complete;
      sim::MergeResults(&merged[i], sim::ExploreResult(s.result[i]));
    }
  }
  // The witnesses' traces need the scenario and both kernels again.
  std::unique_ptr<scn::Scenario> s = LoadScenario(first.file);
  if (!s) return kExitUsage;
  std::optional<sim::Program> p[2];
  for (int i = 0; i < 2; ++i) {
    sim::CompileOptions co;
    if (absl::Status st = ApplyKernelOptions(first.options[i], i == 0 ? "side A" : "side B", &co); !st.ok())
      return Usage(std::string(st.message()));
    p[i] = CompileScenario(*s, co);
    if (!p[i]) return kExitUsage;
  }
  sim::DiffSide a{first.options[0], &*p[0], std::move(merged[0]), ""};
  sim::DiffSide b{first.options[1], &*p[1], std::move(merged[1]), ""};
  sim::DiffResult d = sim::CompareSides(a, b);
  sim::AddWitnesses(a, b, sim::ExecOptions{}, &d);
  std::cout << "Merged " << shards.size() << " of " << n << " shards of the diff of " << first.scenario << "\n";
  std::cout << sim::RenderDiff(a, b, d);
  return d.same() && !d.bounded ? kExitPass : kExitFail;
}

int DiffMain(const std::vector<std::string>& args) {
  if (args.empty()) return Usage("diff needs at least one scenario file");
  absl::StatusOr<RunConfig> rc = ParseRunFlags();
  if (!rc.ok()) return Usage(std::string(rc.status().message()));
  if (rc->explore.strategy != sim::Strategy::kExhaustive)
    return Usage("diff explores exhaustively: --explore=" + rc->strategy_name + " is for run");
  if (!rc->replay.empty())
    return Usage("--replay is for run: replay a diff witness with `vfiosim run <that side's options> --replay=<id>`");
  if (!rc->trace.empty()) return Usage("--trace is for run (diff prints both witnesses' traces)");
  if (!KernelOptionsString(rc->compile).empty() || !rc->compile.dot_config.empty())
    return Usage("diff takes the kernel options of each side in --a='...' and --b='...'");
  sim::CompileOptions ca = rc->compile, cb = rc->compile;
  ca.variant = Variant::kLegacy;
  cb.variant = Variant::kDmabuf;
  if (absl::Status st = ApplyKernelOptions(absl::GetFlag(FLAGS_a), "--a", &ca); !st.ok())
    return Usage(std::string(st.message()));
  if (absl::Status st = ApplyKernelOptions(absl::GetFlag(FLAGS_b), "--b", &cb); !st.ok())
    return Usage(std::string(st.message()));
  int worst = kExitPass;
  for (const std::string& f : args) worst = std::max(worst, DiffOne(f, *rc, ca, cb));
  return worst;
}

}  // namespace vfiosim::cli
