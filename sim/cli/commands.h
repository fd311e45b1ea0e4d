// The vfiosim subcommands: run, check, list (and the usage text); the others' entry points.
#pragma once

#include <string>
#include <vector>

#include "sim/report/json.h"

namespace vfiosim::cli {

// Exit statuses (spec): 0 every verdict PASS, 1 some FAIL, 2 bad usage or a
// scenario error.
inline constexpr int kExitPass = 0;
inline constexpr int kExitFail = 1;
inline constexpr int kExitUsage = 2;

int Main(int argc, char** argv);

// Subcommands that live in files of their own (args: after the subcommand name;
// absl flags are already parsed).
int StressMain(const std::vector<std::string>& args);   // sim/cli/stress_command.cc
int KconfigMain(const std::vector<std::string>& args);  // sim/cli/kconfig_command.cc
int MergeMain(const std::vector<std::string>& args);    // sim/cli/merge_command.cc
int DiffMain(const std::vector<std::string>& args);     // sim/cli/diff_command.cc
// `merge` of `diff --shard=K/N --format=json` reports (sim/cli/diff_command.cc).
int MergeDiffReports(const std::vector<json::Value>& reports);

}  // namespace vfiosim::cli
