// `vfiosim kconfig`: not built yet (see the issue tracker).
#include <iostream>

#include "sim/cli/commands.h"

namespace vfiosim::cli {

int KconfigMain(const std::vector<std::string>&) {
  std::cerr << "vfiosim: 'kconfig' is not implemented yet\n";
  return kExitUsage;
}

}  // namespace vfiosim::cli
