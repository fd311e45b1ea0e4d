// vfiosim: the command-line tool. See `vfiosim --help` and docs/scenario-language.md.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "sim/cli/commands.h"
#include "sim/cli/flag_precheck.h"
#include "sim/core/discipline.h"

int main(int argc, char** argv) {
  // Unknown flags and unparsable values exit 2 (bad usage), not absl's 1.
  if (const int rc = vfiosim::cli::PrecheckFlags(argc, argv); rc != 0) return rc;
  try {
    return vfiosim::cli::Main(argc, argv);
  } catch (const std::bad_alloc&) {
    // A bound too large to honour (e.g. --schedules=1e11 with --explore=random
    // sizes per-chunk results up front) is a usage problem, not a crash.
    std::cout.flush();
    std::cerr << "\nvfiosim: out of memory (are --schedules, --max_steps or a size in the scenario too large?)\n";
    return vfiosim::cli::kExitUsage;
  } catch (const vfiosim::sim::DisciplineError& e) {
    // A model step touched shared state its scheduling point did not declare:
    // a simulator bug (sim/core/discipline.h), never a verdict.
    std::cout.flush();
    std::cerr << "\nvfiosim: internal error: " << e.what() << "\n";
    return 70;  // EX_SOFTWARE
  }
}
