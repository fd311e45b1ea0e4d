// Reading a kernel .config (the format scripts/kconfig/confdata.c writes) into
// settings for Evaluate():
//
//   CONFIG_PCI_P2PDMA=y            -> {"PCI_P2PDMA", true}
//   CONFIG_VFIO_PCI_CORE=m         -> {"VFIO_PCI_CORE", true}   (m counts as y)
//   # CONFIG_ZONE_DEVICE is not set -> {"ZONE_DEVICE", false}
//
// Other comments and blank lines are skipped. A real .config has thousands of
// symbols vfiosim does not model: their lines are checked for well-formedness
// (a string, a number, y/m/n) and otherwise ignored. A malformed line, or a
// symbol vfiosim models given a value other than y/m/n, is an error whose
// message is "filename:line:col: error: ...".
//
// The settings carry SettingSource::kDotConfig, so that evaluation ignores the
// recorded values of derived symbols (a .config lists CONFIG_VFIO_PCI_DMABUF=y
// too), as scripts/kconfig does.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/kconfig/evaluate.h"

namespace vfiosim::kconfig {

absl::StatusOr<std::vector<Setting>> ParseDotConfig(std::string_view text,
                                                    std::string_view filename);

}  // namespace vfiosim::kconfig
