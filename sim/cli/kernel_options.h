// The options of `run` that choose the kernel: --variant, --arch, --kconfig,
// --fix and --bug. One parser for the command line's flags and for the option
// strings of `vfiosim diff --a='...' --b='...'`, and the option string that
// gives a CompileOptions back (what diff prints, for `run ... --replay=<id>`).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "sim/run/program.h"

namespace vfiosim::cli {

// Applies one kernel option (name without the dashes; '-' or '_' alike) to co.
// bug, fix and kconfig take comma-separated lists and add to what co has;
// variant and arch replace it. Unknown names and bad values are errors.
absl::Status ApplyKernelOption(const std::string& name, const std::string& value, sim::CompileOptions* co);

// Applies an option string such as "--variant=dmabuf --fix=NAME --kconfig SYM=y"
// (blank-separated; `--opt value` or `--opt=value`). `what` names the string in
// errors (e.g. "--a").
absl::Status ApplyKernelOptions(const std::string& text, const std::string& what, sim::CompileOptions* co);

// The options that give co's kernel choice, in a fixed order:
// "--variant=legacy --arch=i386 --kconfig=SYM=y --fix=NAME --bug=NAME".
std::string KernelOptionsString(const sim::CompileOptions& co);

// "unknown bug 'X' (did you mean 'Y'?) (see 'vfiosim list bugs')".
std::string UnknownBug(const std::string& name);

}  // namespace vfiosim::cli
