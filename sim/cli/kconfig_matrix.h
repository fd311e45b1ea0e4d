// `vfiosim kconfig --matrix` prints the Kconfig matrix (sim/run/kconfig_matrix.h)
// as a Markdown table or as JSON:
//
//   std::cout << RenderKconfigMatrixText(sim::BuildKconfigMatrix());
//
// Used by sim/cli/kconfig_command.cc and tests/run/kconfig_matrix_test.cc;
// docs/kconfig-matrix.md is its output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/fixes.h"
#include "sim/run/kconfig_matrix.h"

namespace vfiosim::cli {

// A Markdown table with aligned columns (readable as text too), followed by
// the skipped combinations and a summary.
std::string RenderKconfigMatrixText(const sim::KconfigMatrix& m);
// The same as one JSON object ({"rows": [...], "skipped": [...], ...}).
std::string RenderKconfigMatrixJson(const sim::KconfigMatrix& m);

// "4K", "2M", "1G", or "-" for 0.
std::string LeafName(uint64_t bytes);
// "none" or the fix's name.
std::string FixName(std::optional<Fix> fix);

}  // namespace vfiosim::cli
