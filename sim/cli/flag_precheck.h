// Command-line flags checked before absl::ParseCommandLine() sees them.
//
// absl::ParseCommandLine() (Abseil 20220623) reports an unknown flag or a value
// that does not parse (`--seed=abc`, `--schedules=-1`) and calls std::exit(1),
// but the spec's exit status for bad usage is 2 (1 means "some verdict FAIL"),
// and a script must be able to tell the two apart. PrecheckFlags() walks argv the
// way absl does (`--name=value`, `--name value`, `-name`, `--noboolflag`, `--`
// ends the flags) and validates each flag against the registry.
#pragma once

namespace vfiosim::cli {

// 0 when every flag is known and its value parses; otherwise prints
// `vfiosim: <what is wrong>` to stderr and returns 2 (kExitUsage).
int PrecheckFlags(int argc, char** argv);

}  // namespace vfiosim::cli
