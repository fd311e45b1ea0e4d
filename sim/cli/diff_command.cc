// `vfiosim diff [--a='OPTIONS'] [--b='OPTIONS'] FILE...` (spec 1.1, "Comparing
// two kernels"): each scenario explored exhaustively on two kernels — side A
// (default --variant=legacy) and side B (default --variant=dmabuf), each side's
// options adding to its default — and the outcomes and violated invariants
// compared. Output and exit status: sim/report/diff_report.h.
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
    std::cout << sim::DiffToJson(file, a, b, d).Dump(2) << "\n";
  else
    std::cout << sim::RenderDiff(a, b, d);
  std::cout.flush();
  return d.same() && !d.bounded ? kExitPass : kExitFail;
}

}  // namespace

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
