// The verdict of a run (spec, "Running"): PASS/FAIL with the reason, from the
// scenario's expectations and what exploration found.
#pragma once

#include <string>
#include <vector>

#include "sim/explore/explorer.h"
#include "sim/scenario/ast.h"

namespace vfiosim::sim {

struct ExpectationResult {
  const scn::Expectation* e;
  bool holds;
  uint64_t positive = 0;  // complete schedules where the condition is true
  uint64_t negative = 0;
};

struct Verdict {
  bool pass = true;
  std::string reason;  // "stale-pte" or "expect:12" (empty on PASS)
  std::vector<ExpectationResult> expectations;
  bool complete = false;
};

Verdict ComputeVerdict(const scn::Scenario& s, const ExploreResult& r);

// `verdict: PASS <name> schedules=<n> complete|bounded [reason=...]`
std::string VerdictLine(const scn::Scenario& s, const ExploreResult& r, const Verdict& v);

}  // namespace vfiosim::sim
