// Command-line flags checked before absl::ParseCommandLine() sees them.
//
// absl::ParseCommandLine() (Abseil 20220623) reports an unknown flag or a value
// that does not parse (`--seed=abc`, `--schedules=-1`) and calls std::exit(1),
// but the spec's exit status for bad usage is 2 (1 means "some verdict FAIL"),
// and a script must be able to tell the two apart. PrecheckFlags() walks argv the
// way absl does (`--name=value`, `--name value`, `-name`, `--noboolflag`, `--`
// ends the flags) and validates each flag against the registry, and against the
// subcommand: absl has one namespace of flags for all of them, so PrecheckFlags()
// refuses a flag of another subcommand (sim/cli/flag_table.h), which that one
// would otherwise silently ignore.
#pragma once

#include <string>

namespace vfiosim::cli {

// 0 when every flag is known, taken by the subcommand and its value parses;
// otherwise prints `vfiosim: <what is wrong>` to stderr and returns 2
// (kExitUsage), e.g. `vfiosim: --stress_threads is a flag of 'stress', not of 'run'`.
int PrecheckFlags(int argc, char** argv);

// The subcommand word: the first argument that is not a flag or a flag's value
// (`--flag value` for a non-bool flag), or the one after `--`; "" if none.
std::string CommandWord(int argc, char** argv);

}  // namespace vfiosim::cli
