// A generator of small random valid scenarios, for differential testing of the
// explorer's reductions (tests/explore/soundness_test.cc): sleep sets and DPOR must reach
// the outcomes, invariant violations and verdict of the unreduced search.
//
// GenerateScenario(seed) is deterministic in `seed` (its own PRNG and integer
// arithmetic only, no std:: distributions), so a seed names a scenario on every
// platform. A scenario has one device, a random setup block that binds handles of
// every kind (processes, device fds, BAR and dma-buf mappings, dma-bufs,
// attachments, IOVA mappings), 2-3 threads of 1-3 statements drawn from every op of
// the spec's table with operands from the handles in scope, sometimes a `finally`,
// zero to three expectations over the threads' variables and the final state, and
// sometimes a planted bug (`bug <name>`). Candidates go through the parser, the
// validator and Compile(); the few that fail are regenerated from the next
// sub-seed, so the result always loads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/scenario/ast.h"

namespace vfiosim::testing {

struct GeneratedScenario {
  std::string text;  // canonical text (scn::PrintScenario of the parsed AST)
  std::unique_ptr<scn::Scenario> scenario;  // parsed and validated; compiles
  int rejected = 0;  // candidates the parser, validator or Compile() refused first
};

// The raw candidate for one sub-seed (may, rarely, not validate).
std::string GenerateCandidateText(uint64_t seed, int attempt);

// A scenario named `gen-<seed>` that parses, validates and compiles.
GeneratedScenario GenerateScenario(uint64_t seed);

}  // namespace vfiosim::testing
