// `vfiosim merge`: not built yet (see the issue tracker).
#include <iostream>

#include "sim/cli/commands.h"

namespace vfiosim::cli {

int MergeMain(const std::vector<std::string>&) {
  std::cerr << "vfiosim: 'merge' is not implemented yet\n";
  return kExitUsage;
}

}  // namespace vfiosim::cli
