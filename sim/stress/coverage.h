// Which catalogued bugs `vfiosim stress` can exercise. Stress runs one workload:
// faulting threads reading whole-BAR mappings while revokers write MEM, enter
// and leave low power, reset, and close and reopen their fd; processes exit at
// the end. A bug whose code path needs something else (an importer, fork,
// munmap of part of a mapping, a misaligned window, a device close with live
// mappings) is never reached, and a PASS would say nothing about it.
#pragma once

#include <string>

#include "model/arch.h"
#include "model/bugs.h"

namespace vfiosim::stress {

// Empty when stress exercises `b` in `v`; else why not (one sentence).
std::string WhyNotExercised(Bug b, Variant v);

}  // namespace vfiosim::stress
