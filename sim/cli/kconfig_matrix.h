// `vfiosim kconfig --matrix` prints the Kconfig matrix (sim/run/kconfig_matrix.h)
// as a Markdown table or as JSON:
//
//   std::cout << RenderKconfigMatrixText(sim::BuildKconfigMatrix());
//
// Used by sim/cli/kconfig_command.cc and tests/kconfig_matrix_test.cc;
// docs/kconfig-matrix.md is its output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/fixes.h"
#include "sim/run/kconfig_matrix.h"

namespace vfiosim::cli {

using sim::BuildKconfigMatrix;
using sim::KconfigMatrix;
using sim::KconfigMatrixRow;
using sim::KconfigMatrixSkip;
using sim::KconfigProbe;
using sim::MakeVfioContext;
using sim::ProbeBarMmap;

// A Markdown table with aligned columns (readable as text too), followed by
// the skipped combinations and a summary.
std::string RenderKconfigMatrixText(const KconfigMatrix& m);
// The same as one JSON object ({"rows": [...], "skipped": [...], ...}).
std::string RenderKconfigMatrixJson(const KconfigMatrix& m);

// "4K", "2M", "1G", or "-" for 0.
std::string LeafName(uint64_t bytes);
// "none" or the fix's name.
std::string FixName(std::optional<Fix> fix);

}  // namespace vfiosim::cli
