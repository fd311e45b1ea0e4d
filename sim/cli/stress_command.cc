// `vfiosim stress`: the model on real threads (sim/stress/stress.h).
//
//   vfiosim stress                                  # both variants x leaf<=4k,2m,1g, 1 s each
//   vfiosim stress --variant=legacy --stress_leaf=1g --stress_duration=5
//   vfiosim stress --bug=fault-without-lock         # finds the race: exit 1
//   vfiosim stress --stress_format=json > stress.json   # for tools/plot/
//
// Own flags are prefixed stress_; --variant, --bug, --seed and --find_pfn are
// the `run` flags (sim/cli/commands.cc), read here. A flag read here needs
// stress in its row of sim/cli/flag_table.cc, or the command line refuses it.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "model/bugs.h"
#include "model/dmabuf/find_pfn.h"
#include "sim/cli/commands.h"
#include "sim/cli/kernel_options.h"
#include "sim/stress/coverage.h"
#include "sim/stress/stress.h"

ABSL_DECLARE_FLAG(std::string, variant);
ABSL_DECLARE_FLAG(std::vector<std::string>, bug);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(std::string, find_pfn);

ABSL_FLAG(int, stress_threads, 2, "stress: faulting threads (each in a process of its own unless --stress_shared_mm)");
ABSL_FLAG(int, stress_revokers, 1, "stress: revoker threads");
ABSL_FLAG(bool, stress_shared_mm, false, "stress: all faulting threads share one process (one mm, one set of mappings)");
ABSL_FLAG(int, stress_mappings, 1, "stress: BAR0 mappings per process");
ABSL_FLAG(std::string, stress_bar_size, "1G", "stress: size of BAR0 (power of two; suffix K, M, G)");
ABSL_FLAG(std::vector<std::string>, stress_leaf, std::vector<std::string>({"4k", "2m", "1g"}),
          "stress: largest leaf the fault path may install (4k: no huge pfnmap, 2m: PMD, 1g: PMD+PUD); a list runs "
          "each");
ABSL_FLAG(double, stress_duration, 1.0, "stress: seconds per configuration (0: run until --stress_ops)");
ABSL_FLAG(uint64_t, stress_ops, 0, "stress: stop a configuration after this many faulting-thread reads (0: duration)");
ABSL_FLAG(std::vector<std::string>, stress_revoke, std::vector<std::string>({"command", "power", "reset", "close"}),
          "stress: what revokers do, cycled: command (MEM off/on), power (D3 entry/exit), reset, close (close and "
          "reopen their fd)");
ABSL_FLAG(uint64_t, stress_revoke_gap_us, 100, "stress: revokers sleep this long between two revokes");
ABSL_FLAG(uint64_t, stress_disabled_us, 0, "stress: and this long between a disable and the re-enable");
ABSL_FLAG(double, stress_hang_seconds, 10, "stress: no progress for this long is reported as a deadlock");
ABSL_FLAG(std::string, stress_format, "text", "stress: report format: text | json");

namespace vfiosim::cli {
namespace {

int StressUsage(const std::string& msg) {
  std::cerr << "vfiosim stress: " << msg << "\nTry 'vfiosim stress --help'.\n";
  return kExitUsage;
}

bool ParseSize(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t mul = 1;
  std::string num = s;
  switch (s.back()) {
    case 'K': case 'k': mul = uint64_t{1} << 10; num.pop_back(); break;
    case 'M': case 'm': mul = uint64_t{1} << 20; num.pop_back(); break;
    case 'G': case 'g': mul = uint64_t{1} << 30; num.pop_back(); break;
    case 'T': case 't': mul = uint64_t{1} << 40; num.pop_back(); break;
    default: break;
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(num, &v) || v > (uint64_t{1} << 40) / mul) return false;
  *out = v * mul;
  return true;
}

}  // namespace

int StressMain(const std::vector<std::string>& args) {
  if (!args.empty()) return StressUsage("takes no arguments (got '" + args[0] + "'); options are --stress_* flags");
  stress::StressOptions base;
  base.faulters = absl::GetFlag(FLAGS_stress_threads);
  base.revokers = absl::GetFlag(FLAGS_stress_revokers);
  base.shared_mm = absl::GetFlag(FLAGS_stress_shared_mm);
  base.mappings = absl::GetFlag(FLAGS_stress_mappings);
  if (!ParseSize(absl::GetFlag(FLAGS_stress_bar_size), &base.bar_size))
    return StressUsage("--stress_bar_size must be a number with an optional K/M/G/T suffix");
  base.duration_seconds = absl::GetFlag(FLAGS_stress_duration);
  base.ops = absl::GetFlag(FLAGS_stress_ops);
  base.revoke_gap_us = absl::GetFlag(FLAGS_stress_revoke_gap_us);
  base.disabled_us = absl::GetFlag(FLAGS_stress_disabled_us);
  base.hang_seconds = absl::GetFlag(FLAGS_stress_hang_seconds);
  base.seed = absl::GetFlag(FLAGS_seed);
  base.revoke_kinds.clear();
  for (const std::string& k : absl::GetFlag(FLAGS_stress_revoke)) {
    std::optional<stress::RevokeKind> rk = stress::ParseRevokeKind(k);
    if (!rk) return StressUsage("--stress_revoke takes command, power, reset, close (got '" + k + "')");
    base.revoke_kinds.push_back(*rk);
  }
  for (const std::string& b : absl::GetFlag(FLAGS_bug)) {
    std::optional<Bug> bug = ParseBug(b);
    if (!bug) return StressUsage(UnknownBug(b));
    base.bugs.push_back(*bug);
  }
  const std::string fp = absl::GetFlag(FLAGS_find_pfn);
  if (fp == "linear") base.find_pfn = dmabuf::PfnFinderKind::kLinear;
  else if (fp == "indexed") base.find_pfn = dmabuf::PfnFinderKind::kIndexed;
  else return StressUsage("--find_pfn must be linear or indexed");
  const std::string format = absl::GetFlag(FLAGS_stress_format);
  if (format != "text" && format != "json") return StressUsage("--stress_format must be text or json");

  std::vector<Variant> variants;
  const std::string v = absl::GetFlag(FLAGS_variant);
  if (v.empty() || v == "both") {
    variants = {Variant::kLegacy, Variant::kDmabuf};
  } else if (std::optional<Variant> pv = ParseVariant(v)) {
    variants = {*pv};
  } else {
    return StressUsage("--variant must be legacy, dmabuf or both (got '" + v + "')");
  }
  std::vector<stress::LeafLimit> leaves;
  for (const std::string& l : absl::GetFlag(FLAGS_stress_leaf)) {
    std::optional<stress::LeafLimit> pl = stress::ParseLeafLimit(l);
    if (!pl) return StressUsage("--stress_leaf takes 4k, 2m, 1g (got '" + l + "')");
    leaves.push_back(*pl);
  }
  if (leaves.empty()) return StressUsage("--stress_leaf is empty");
  // A bug stress cannot reach would PASS without saying anything about it.
  for (const Bug b : base.bugs) {
    std::vector<Variant> can;
    std::string why;
    for (const Variant var : variants) {
      const std::string w = stress::WhyNotExercised(b, var);
      if (w.empty()) can.push_back(var);
      else why = w;
    }
    const std::string name(GetBugInfo(b).name);
    if (can.empty())
      return StressUsage("cannot exercise --bug=" + name + ": " + why + "; use 'vfiosim run --bug=" + name +
                         "' on its scenario (" + std::string(GetBugInfo(b).scenario) + ")");
    if (can.size() < variants.size()) {
      std::cerr << "vfiosim stress: --bug=" << name << " only in the " << VariantName(can[0])
                << " variant: " << why << "\n";
      variants = can;
    }
  }
  if (std::optional<std::string> err = stress::ValidateOptions(base)) return StressUsage(*err);

  std::vector<stress::StressResult> runs;
  const bool json = format == "json";
  bool failed = false;
  for (Variant var : variants) {
    for (stress::LeafLimit leaf : leaves) {
      stress::StressOptions o = base;
      o.variant = var;
      o.leaf = leaf;
      // A deadlock ends the process from the watchdog: print what we have.
      o.on_hang = [&runs, json](const stress::StressResult& r) {
        std::vector<stress::StressResult> all = runs;
        all.push_back(r);
        std::cout << (json ? stress::RenderJson(all) : stress::RenderText(all));
        std::cout.flush();
      };
      runs.push_back(stress::RunStress(o));
      failed |= runs.back().violation.has_value();
      if (failed) break;  // a violation stops the run
    }
    if (failed) break;
  }
  std::cout << (json ? stress::RenderJson(runs) : stress::RenderText(runs));
  std::cout.flush();
  return failed ? kExitFail : kExitPass;
}

}  // namespace vfiosim::cli
