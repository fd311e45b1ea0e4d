// What `run` and `diff` share: the options of `run` (ParseRunFlags reads the
// command line's flags once, in sim/cli/commands.cc), loading and compiling a
// scenario file with its errors on stderr, and the usage error.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "sim/explore/explorer.h"
#include "sim/run/program.h"
#include "sim/scenario/ast.h"

namespace vfiosim::cli {

struct RunConfig {
  sim::CompileOptions compile;
  sim::ExploreOptions explore;
  std::string strategy_name;
  std::string replay;
  std::string trace;
  bool json = false;
  bool shrink = true;
};

absl::StatusOr<RunConfig> ParseRunFlags();

// "vfiosim: <msg>" and the --help hint on stderr; returns kExitUsage.
int Usage(const std::string& msg);

// Parses and validates a scenario file; on an error prints `file:line:col:
// error:` diagnostics on stderr and returns null.
std::unique_ptr<scn::Scenario> LoadScenario(const std::string& file);
// Compiles it for one kernel choice; on an error prints it on stderr.
std::optional<sim::Program> CompileScenario(const scn::Scenario& s, const sim::CompileOptions& co);

}  // namespace vfiosim::cli
