// The vfiosim subcommands: run, check, list (and the usage text).
#pragma once

namespace vfiosim::cli {

// Exit statuses (spec): 0 every verdict PASS, 1 some FAIL, 2 bad usage or a
// scenario error.
inline constexpr int kExitPass = 0;
inline constexpr int kExitFail = 1;
inline constexpr int kExitUsage = 2;

int Main(int argc, char** argv);

}  // namespace vfiosim::cli
