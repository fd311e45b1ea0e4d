// `vfiosim stress`: not built yet (see the issue tracker).
#include <iostream>

#include "sim/cli/commands.h"

namespace vfiosim::cli {

int StressMain(const std::vector<std::string>&) {
  std::cerr << "vfiosim: 'stress' is not implemented yet\n";
  return kExitUsage;
}

}  // namespace vfiosim::cli
